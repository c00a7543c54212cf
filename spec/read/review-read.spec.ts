import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { firstValueFrom, lastValueFrom, toArray } from 'rxjs';
import {
  DurableStreamsClient,
  InvalidArgumentError,
  Offset,
  ServerError,
  SseUnavailableError,
  UnauthorizedError,
  type HttpTransport,
} from '../../lib/index.node';
import { realClient, transports, uniquePath } from '../support/real-server';

type Handler = (req: IncomingMessage, res: ServerResponse) => void;

/** A loopback server whose handler each test sets; records every request and when its response closed. */
function testServer() {
  let handler: Handler = (_req, res) => res.end();
  const requests: Array<{ method: string; url: string; headers: IncomingMessage['headers']; closedAt?: number }> = [];
  const server: Server = createServer((req, res) => {
    const record: (typeof requests)[number] = { method: req.method ?? 'GET', url: req.url ?? '/', headers: req.headers };
    requests.push(record);
    res.on('close', () => (record.closedAt = Date.now()));
    handler(req, res);
  });
  return {
    requests,
    set: (h: Handler) => (handler = h),
    start: () => new Promise<string>((resolve) => server.listen(0, '127.0.0.1', () => resolve(`http://127.0.0.1:${(server.address() as AddressInfo).port}`))),
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

const failure = <T>(source: import('rxjs').Observable<T>) =>
  lastValueFrom(source.pipe(toArray())).then(
    () => {
      throw new Error('expected the read to fail');
    },
    (error: unknown) => error,
  );

const waitFor = async (condition: () => boolean, what: string, ms = 2_000) => {
  const until = Date.now() + ms;
  while (!condition()) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
};

const sseHeaders = { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' };

describe.each(transports)('read review (%s)', (_name, makeTransport) => {
  const server = testServer();
  let base: string;
  let transport: HttpTransport & { close?: () => Promise<void> };
  const client = (options: { retry?: { maxRetries: number } } = {}) =>
    new DurableStreamsClient({ baseUrl: `${base}/v1/stream`, transport, retry: { initialDelayMs: 1, maxDelayMs: 2, ...options.retry } });

  beforeAll(async () => {
    base = await server.start();
    transport = makeTransport();
  });
  afterAll(async () => {
    await transport.close?.();
    await server.stop();
  });
  beforeEach(() => (server.requests.length = 0));

  it("the HEAD that learns a text read's content type before SSE carries the read's headers and params", async () => {
    server.set((req, res) => {
      if (req.headers.authorization !== 'Bearer read' || !req.url?.includes('tenant=t1')) {
        res.writeHead(401, { 'content-type': 'text/plain' }).end('who are you?');
        return;
      }
      if (req.method === 'HEAD') {
        res.writeHead(200, { 'content-type': 'text/plain', 'stream-next-offset': '0_0' }).end();
        return;
      }
      res.writeHead(200, sseHeaders);
      res.end('event: control\ndata: {"streamNextOffset":"0_0","streamClosed":true}\n\n');
    });
    const chunks = await lastValueFrom(
      client()
        .stream('s')
        .readText({ live: 'sse', offset: Offset.now, headers: { authorization: 'Bearer read' }, params: { tenant: 't1' } })
        .pipe(toArray()),
    );
    expect(chunks.map((c) => [c.text, c.closed])).toEqual([['', true]]);
    expect(server.requests.map((r) => [r.method, r.headers.authorization])).toEqual([
      ['HEAD', 'Bearer read'],
      ['GET', 'Bearer read'],
    ]);
  });

  it('the headers onError returns after a 401 reach that HEAD too', async () => {
    server.set((req, res) => {
      if (req.headers.authorization !== 'Bearer fresh') {
        res.writeHead(401, { 'content-type': 'text/plain' }).end('expired');
        return;
      }
      if (req.method === 'HEAD') {
        res.writeHead(200, { 'content-type': 'application/octet-stream', 'stream-next-offset': '0_0' }).end();
        return;
      }
      res.writeHead(200, { ...sseHeaders, 'stream-sse-data-encoding': 'base64' });
      res.end('event: data\ndata: AQID\n\nevent: control\ndata: {"streamNextOffset":"0_3","streamClosed":true}\n\n');
    });
    const errors: unknown[] = [];
    const chunks = await lastValueFrom(
      client()
        .stream('s')
        .read({
          live: 'auto',
          offset: Offset.now,
          headers: { authorization: 'Bearer stale' },
          onError: (error) => (errors.push(error), error instanceof UnauthorizedError ? { headers: { authorization: 'Bearer fresh' } } : undefined),
        })
        .pipe(toArray()),
    );
    expect(chunks.map((c) => [Array.from(c.data), c.closed])).toEqual([[[1, 2, 3], true]]);
    expect(errors).toHaveLength(1);
  });

  it('errors raised by the read itself name the stream without the query its URL carries', async () => {
    server.set((_req, res) => {
      res.writeHead(200, sseHeaders);
      res.flushHeaders(); // ...and never an event
    });
    const stream = client({ retry: { maxRetries: 0 } }).stream(`${base}/v1/stream/s?token=secret`);
    const silent = await failure(stream.readJson({ live: 'sse', offset: Offset.now, sseIdleTimeoutMs: 100 }));
    expect(silent).toBeInstanceOf(SseUnavailableError);
    expect((silent as SseUnavailableError).url).toBe(`${base}/v1/stream/s`);
    expect((silent as Error).message).not.toContain('secret');
    const invalid = await failure(stream.readJson({ offset: '' }));
    expect(invalid).toBeInstanceOf(InvalidArgumentError);
    expect((invalid as Error).message).not.toContain('secret');
    expect((invalid as InvalidArgumentError).url).toBe(`${base}/v1/stream/s`);
  });

  it("'auto' falls back to long-poll when the SSE connection is cut before its first event, as when it ends cleanly", async () => {
    server.set((req, res) => {
      if (req.url?.includes('live=sse')) {
        res.writeHead(200, sseHeaders);
        res.flushHeaders();
        setTimeout(() => res.socket?.destroy(), 20); // a proxy that cuts streamed responses
        return;
      }
      res.writeHead(204, { 'stream-next-offset': '0_5', 'stream-up-to-date': 'true', 'stream-closed': 'true' }).end();
    });
    const batches = await lastValueFrom(client().stream('s').readJson({ live: 'auto', offset: Offset.now }).pipe(toArray()));
    expect(batches.map((b) => [b.offset, b.closed])).toEqual([['0_5', true]]);
    expect(server.requests.map((r) => new URL(r.url, base).searchParams.get('live'))).toEqual(['sse', 'long-poll']);
  });

  it("an error response's body is read only as far as the error needs: an endless one does not hang the read", async () => {
    server.set((_req, res) => {
      res.writeHead(503, { 'content-type': 'text/plain' });
      const line = 'overloaded '.repeat(1_000);
      const timer = setInterval(() => res.write(line), 5);
      res.on('close', () => clearInterval(timer));
    });
    const error = await failure(client({ retry: { maxRetries: 0 } }).stream('s').readJson({ live: false }));
    expect(error).toBeInstanceOf(ServerError);
    expect((error as ServerError).detail!.length).toBeLessThanOrEqual(4096);
    expect((error as ServerError).detail).toContain('overloaded');
    await waitFor(() => server.requests[0]?.closedAt !== undefined, 'the error response to be released', 1_000);
  });
});

describe.each(transports)('read review against the reference server (%s)', (_name, makeTransport) => {
  let transport: HttpTransport & { close?: () => Promise<void> };
  beforeAll(() => (transport = makeTransport()));
  afterAll(async () => {
    await transport.close?.();
  });

  it('readText resumed where a U+FEFF starts gives it, as a read from the beginning does: no character lost', async () => {
    const stream = realClient(transport).stream(uniquePath('bom'), { contentType: 'text/plain' });
    await firstValueFrom(stream.create({ contentType: 'text/plain' }));
    await firstValueFrom(stream.append('a'));
    const between = (await firstValueFrom(stream.head())).nextOffset;
    await firstValueFrom(stream.append('\uFEFFb'));
    const whole = await lastValueFrom(stream.readText({ live: false }).pipe(toArray()));
    expect(whole.map((c) => c.text).join('')).toBe('a\uFEFFb');
    for (const live of [false, 'long-poll'] as const) {
      const resumed = await firstValueFrom(stream.readText({ live, offset: between }));
      expect(resumed.text).toBe('\uFEFFb');
    }
  });
});
