import http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { DurableStreamsClient, fetchTransport, type DurableStreamsClientOptions, type HttpTransport } from '../../lib/index';
import { undiciTransport } from '../../lib/undici';

/** Both transports, for `describe.each`. */
export const bothTransports = [
  ['undici', () => undiciTransport()],
  ['fetch', () => fetchTransport()],
] as const;

/** What {@link useHostileServer} sets up for each test. */
export interface HostileFixture {
  readonly server: HostileServer;
  readonly transport: HttpTransport & { close?: () => Promise<void> };
  readonly client: DurableStreamsClient;
}

/**
 * A fresh hostile server, transport and client (base URL `<server>/v1/stream`)
 * for each test of the enclosing `describe`, torn down after it.
 */
export function useHostileServer(makeTransport: () => HttpTransport & { close?: () => Promise<void> }, options: DurableStreamsClientOptions = {}): HostileFixture {
  const fixture = {} as { server: HostileServer; transport: HostileFixture['transport']; client: DurableStreamsClient };
  beforeEach(async () => {
    fixture.server = new HostileServer();
    await fixture.server.start();
    fixture.transport = makeTransport();
    fixture.client = new DurableStreamsClient({ baseUrl: `${fixture.server.url}/v1/stream`, transport: fixture.transport, ...options });
  });
  afterEach(async () => {
    await fixture.transport.close?.();
    await fixture.server.stop();
  });
  return fixture;
}

/** One request as the hostile server saw it. */
export interface SeenRequest {
  readonly method: string;
  /** Path and query, exactly as sent. */
  readonly url: string;
  /** Lower-case names. */
  readonly headers: http.IncomingHttpHeaders;
  readonly body: string;
  readonly at: number;
  /** Set when the connection carrying the response closed (the client aborted, or the answer ended). */
  closedAt?: number;
}

/** Answers one request. `index` counts requests from 0. */
export type Answer = (req: http.IncomingMessage, res: http.ServerResponse, index: number, body: string) => void;

/**
 * A loopback HTTP server that answers whatever a spec scripts: stalls,
 * bodies that stop halfway, bodies that never come, offsets that go
 * backwards, plain 200s, endless SSE data, an SPA's HTML. It records every
 * request (a recording server for path and credential specs too) and knows
 * which sockets are still open, so a spec can check nothing is left behind.
 */
export class HostileServer {
  readonly requests: SeenRequest[] = [];
  answer: Answer = (_req, res) => void res.writeHead(500).end('no answer scripted');
  private readonly server = http.createServer((req, res) => this.handle(req, res));
  private readonly sockets = new Set<Socket>();
  private origin = '';

  async start(): Promise<string> {
    this.server.on('connection', (socket: Socket) => {
      this.sockets.add(socket);
      socket.on('close', () => this.sockets.delete(socket));
    });
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.origin = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this.origin;
  }

  get url(): string {
    return this.origin;
  }

  /** Sockets still open (keep-alive ones included). */
  get openSockets(): number {
    return this.sockets.size;
  }

  /** Requests whose response has not closed yet: a client that left one hanging shows here. */
  get hanging(): SeenRequest[] {
    return this.requests.filter((request) => request.closedAt === undefined);
  }

  /** Requests whose path and query match. */
  matching(pattern: RegExp): SeenRequest[] {
    return this.requests.filter((request) => pattern.test(request.url));
  }

  async stop(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private handle(req: http.IncomingMessage, res: http.ServerResponse): void {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString();
      const seen: SeenRequest = { method: req.method ?? 'GET', url: req.url ?? '/', headers: req.headers, body, at: Date.now() };
      const index = this.requests.push(seen) - 1;
      res.on('close', () => (seen.closedAt = Date.now()));
      this.answer(req, res, index, body);
    });
  }
}

/** The headers of a protocol read answer. */
export function readHeaders(offset: string, extra: { upToDate?: boolean; closed?: boolean; contentType?: string; cursor?: string } = {}): Record<string, string> {
  const headers: Record<string, string> = { 'content-type': extra.contentType ?? 'application/json', 'stream-next-offset': offset };
  if (extra.upToDate) headers['stream-up-to-date'] = 'true';
  if (extra.closed) headers['stream-closed'] = 'true';
  if (extra.cursor) headers['stream-cursor'] = extra.cursor;
  return headers;
}

/** A catch-up or long-poll answer. */
export function readAnswer(res: http.ServerResponse, offset: string, body: string, extra: Parameters<typeof readHeaders>[1] = {}): void {
  res.writeHead(200, readHeaders(offset, extra)).end(body);
}

/** Headers sent, and `firstBytes` of a body announced as `length` bytes: then nothing, ever (a half-open connection). */
export function stallBody(res: http.ServerResponse, status: number, headers: Record<string, string>, firstBytes: string, length = firstBytes.length + 1000): void {
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
export function sseControl(offset: string, extra: { upToDate?: boolean; closed?: boolean; cursor?: string } = {}): string {
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
  res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end('<!doctype html><html><head><title>App</title></head><body><app-root></app-root></body></html>');
}

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Resolves when `predicate` holds, polling; fails after `timeoutMs`. */
export async function until(predicate: () => boolean, what: string, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(10);
  }
}
