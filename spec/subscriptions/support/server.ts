import { DurableStreamTestServer } from '@durable-streams/server';
import { firstValueFrom } from 'rxjs';
import { DurableStreamsClient, type DurableStreamsClientOptions, createStream } from '../../../lib/index';
import type { HttpRequest, HttpResponse, HttpTransport } from '../../../lib/transport/http-transport';
import { undiciTransport } from '../../../lib/transport/undici/undici-transport';

let counter = 0;
/** A name no other spec (or jest worker) uses. */
export const unique = (prefix: string): string => `${prefix}-${process.pid}-${counter++}`;

/** A reference server of this spec file's own, with webhooks on (the suite's global server has them off). */
export interface SubscriptionServer {
  readonly url: string;
  /** The stream root: a client's baseUrl. */
  readonly base: string;
  /** A client on the server, through a transport that counts requests. */
  client(options?: DurableStreamsClientOptions): { client: DurableStreamsClient; transport: CountingTransport };
  /** Creates JSON streams. */
  createJson(...paths: string[]): Promise<void>;
  stop(): Promise<void>;
}

/** A server for the spec file: started before its specs, stopped after; `admin` is a client on it. */
export function useSubscriptionServer(): { readonly server: SubscriptionServer; readonly admin: DurableStreamsClient } {
  const fixture = {} as { server: SubscriptionServer; admin: DurableStreamsClient };
  beforeAll(async () => {
    fixture.server = await startSubscriptionServer();
    fixture.admin = fixture.server.client().client;
  });
  afterAll(() => fixture.server.stop());
  return fixture;
}

export async function startSubscriptionServer(): Promise<SubscriptionServer> {
  const server = new DurableStreamTestServer({ port: 0, host: '127.0.0.1', webhooks: true, longPollTimeout: 500 });
  const url = await server.start();
  const base = `${url}/v1/stream`;
  const transports: CountingTransport[] = [];
  const make = (options: DurableStreamsClientOptions = {}) => {
    const transport = new CountingTransport(undiciTransport());
    transports.push(transport);
    return {
      client: new DurableStreamsClient({
        baseUrl: base,
        transport,
        retry: { initialDelayMs: 5, maxDelayMs: 50 },
        ...options,
      }),
      transport,
    };
  };
  const admin = make().client;
  return {
    url,
    base,
    client: make,
    createJson: async (...paths) => {
      for (const path of paths)
        await firstValueFrom(createStream(admin.stream(path), { contentType: 'application/json' }));
    },
    stop: async () => {
      await Promise.all(transports.map((transport) => transport.close()));
      await server.stop();
    },
  };
}

/** Wraps a transport: counts requests (by method and path), can hold or fail chosen ones. */
export class CountingTransport implements HttpTransport {
  readonly sent: Array<{ readonly method: string; readonly path: string; readonly body: string }> = [];
  /** Requests for which this returns true fail as a dropped connection, without reaching the server. */
  drop: (request: HttpRequest) => boolean = () => false;
  private inFlightCount = 0;

  constructor(private readonly inner: HttpTransport & { close?: () => Promise<void> }) {}

  get inFlight(): number {
    return this.inFlightCount;
  }

  async request(request: HttpRequest): Promise<HttpResponse> {
    const { pathname } = new URL(request.url);
    this.sent.push({
      method: request.method,
      path: pathname,
      body: typeof request.body === 'string' ? request.body : '',
    });
    if (this.drop(request)) throw Object.assign(new Error('dropped by the spec'), { code: 'ECONNRESET' });
    this.inFlightCount++;
    try {
      return await this.inner.request(request);
    } finally {
      this.inFlightCount--;
    }
  }

  count(predicate: (request: { method: string; path: string; body: string }) => boolean = () => true): number {
    return this.sent.filter(predicate).length;
  }

  close(): Promise<void> {
    return this.inner.close?.() ?? Promise.resolve();
  }
}
