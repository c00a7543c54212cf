import {
  DurableStreamsClient,
  fetchTransport,
  type DurableStreamsClientOptions,
  type HttpTransport,
} from '../../lib/index';
import { undiciTransport } from '../../lib/transport/undici/undici-transport';

/** The reference server started by globalSetup (a free loopback port). */
export function serverUrl(): string {
  const url = process.env['DS_TEST_SERVER_URL'];
  if (!url)
    throw new Error('DS_TEST_SERVER_URL is not set: run the specs through jest (globalSetup starts the server)');
  return url;
}

/** The base URL streams live under on the reference server. */
export const streamBase = (): string => `${serverUrl()}/v1/stream`;

let counter = 0;
/** A path no other spec (or worker) uses. */
export function uniquePath(prefix = 's'): string {
  return `${prefix}-${process.pid}-${Date.now().toString(36)}-${counter++}`;
}

/** Both transports, for `describe.each`: every behaviour is proven on each. */
export const transports: ReadonlyArray<
  readonly [name: string, make: () => HttpTransport & { close?: () => Promise<void> }]
> = [
  ['undici', () => undiciTransport()],
  ['fetch', () => fetchTransport()],
];

/** A client on the reference server. */
export function realClient(transport: HttpTransport, options: DurableStreamsClientOptions = {}): DurableStreamsClient {
  return new DurableStreamsClient({
    baseUrl: streamBase(),
    transport,
    retry: { initialDelayMs: 5, maxDelayMs: 50 },
    ...options,
  });
}

/**
 * Arms the reference server's fault injection (POST /_test/inject-error):
 * the next `count` requests to `path` get `status` (or the given fault).
 */
export async function injectFault(path: string, fault: Record<string, unknown>): Promise<void> {
  const response = await fetch(`${serverUrl()}/_test/inject-error`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ path, ...fault }),
  });
  if (!response.ok) throw new Error(`fault injection failed: ${response.status} ${await response.text()}`);
}

/** A loopback port nothing listens on (bound, then released): connections are refused. */
export async function refusedPort(): Promise<number> {
  const { createServer } = await import('node:net');
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}
