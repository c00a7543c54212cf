import type http from 'node:http';
import {
  DurableStreamsClient,
  fetchTransport,
  type DurableStreamsClientOptions,
  type HttpTransport,
} from '../../lib/index';
import { undiciTransport } from '../../lib/undici';
import { LoopbackServer, type SeenRequest } from './loopback-server';

/** Both transports, for `describe.each`. */
export const bothTransports = [
  ['undici', () => undiciTransport()],
  ['fetch', () => fetchTransport()],
] as const;

/** What {@link useHostileServer} sets up for each test. */
export interface HostileFixture {
  readonly server: LoopbackServer;
  readonly transport: HttpTransport & { close?: () => Promise<void> };
  readonly client: DurableStreamsClient;
}

/**
 * A fresh {@link LoopbackServer} (no upstream: every answer is scripted),
 * transport and client (base URL `<server>/v1/stream`) for each test of the
 * enclosing `describe`, torn down after it: a stalled answer of one test
 * never holds a socket of the next.
 */
export function useHostileServer(
  makeTransport: () => HttpTransport & { close?: () => Promise<void> },
  options: DurableStreamsClientOptions = {},
): HostileFixture {
  const fixture = {} as {
    server: LoopbackServer;
    transport: HostileFixture['transport'];
    client: DurableStreamsClient;
  };
  beforeEach(async () => {
    fixture.server = new LoopbackServer();
    const origin = await fixture.server.start();
    fixture.transport = makeTransport();
    fixture.client = new DurableStreamsClient({
      baseUrl: `${origin}/v1/stream`,
      transport: fixture.transport,
      ...options,
    });
  });
  afterEach(async () => {
    await fixture.transport.close?.();
    await fixture.server.stop();
  });
  return fixture;
}

/** Answers every request to `server` with `handler`, told the request's number (from 0). */
export function script(
  server: LoopbackServer,
  handler: (req: http.IncomingMessage, res: http.ServerResponse, index: number) => void,
): void {
  server.answer((req, res) => handler(req, res, server.requests.length - 1));
}

/** Requests whose response has not closed: a client that left one hanging shows here. */
export const hanging = (server: LoopbackServer): SeenRequest[] =>
  server.requests.filter((request) => request.closedAt === undefined);

/** The headers of a protocol read answer. */
export function readHeaders(
  offset: string,
  extra: { upToDate?: boolean; closed?: boolean; contentType?: string; cursor?: string } = {},
): Record<string, string> {
  const headers: Record<string, string> = {
    'content-type': extra.contentType ?? 'application/json',
    'stream-next-offset': offset,
  };
  if (extra.upToDate) headers['stream-up-to-date'] = 'true';
  if (extra.closed) headers['stream-closed'] = 'true';
  if (extra.cursor) headers['stream-cursor'] = extra.cursor;
  return headers;
}

/** A catch-up or long-poll answer. */
export function readAnswer(
  res: http.ServerResponse,
  offset: string,
  body: string,
  extra: Parameters<typeof readHeaders>[1] = {},
): void {
  res.writeHead(200, readHeaders(offset, extra)).end(body);
}

/** Headers sent, and `firstBytes` of a body announced as `length` bytes: then nothing, ever (a half-open connection). */
export function stallBody(
  res: http.ServerResponse,
  status: number,
  headers: Record<string, string>,
  firstBytes: string,
  length = firstBytes.length + 1000,
): void {
  res.writeHead(status, { ...headers, 'content-length': String(length) });
  res.write(firstBytes);
  res.flushHeaders();
}

/** Opens an SSE response. */
export function sseHead(res: http.ServerResponse, extra: Record<string, string> = {}): void {
  res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', ...extra });
  res.flushHeaders();
}

/** One SSE control event's text. */
export function sseControl(
  offset: string,
  extra: { upToDate?: boolean; closed?: boolean; cursor?: string } = {},
): string {
  const control: Record<string, unknown> = { streamNextOffset: offset };
  if (extra.cursor) control['streamCursor'] = extra.cursor;
  if (extra.upToDate) control['upToDate'] = true;
  if (extra.closed) control['streamClosed'] = true;
  return `event: control\ndata: ${JSON.stringify(control)}\n\n`;
}

/** One SSE data event's text. */
export function sseData(data: string): string {
  return `event: data\ndata: ${data}\n\n`;
}

/** What an SPA's fallback route answers for any path: its index page, 200. */
export function spaFallback(res: http.ServerResponse): void {
  res
    .writeHead(200, { 'content-type': 'text/html; charset=utf-8' })
    .end('<!doctype html><html><head><title>App</title></head><body><app-root></app-root></body></html>');
}
