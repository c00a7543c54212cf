import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { propagation, SpanKind, SpanStatusCode } from '@opentelemetry/api';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import nock from 'nock';
import { MockAgent } from 'undici';
import { firstValueFrom, lastValueFrom, type Observable, type Subscription } from 'rxjs';
import { answering, bearerAuth, logRequests, tracing } from '../../examples/interceptors/recipes';
import {
  appendJson,
  collectItems,
  createStream,
  DurableStreamsClient,
  headStream,
  readJson,
  StreamNotFoundError,
  Offset,
  type HttpTransport,
  type JsonBatch,
  type TransportInterceptor,
} from '../../lib/index';
import { undiciTransport } from '../../lib/undici';
import { LoopbackServer } from '../support/loopback-server';
import { realClient, serverUrl, transports, uniquePath } from '../support/real-server';
import { until } from '../support/until';

/**
 * The recipes of docs/interceptors.md, run: the docs quote
 * examples/interceptors/recipes.ts, which this suite type-checks and runs
 * against the reference server (behind a loopback proxy that records what
 * arrives, and holds SSE open) on both transports.
 */

const recipesFile = readFileSync(join(__dirname, '../../examples/interceptors/recipes.ts'), 'utf8');
const docs = readFileSync(join(__dirname, '../../docs/interceptors.md'), 'utf8');

function region(name: string): string {
  const match = new RegExp(`// #region ${name}\\n([\\s\\S]*?)// #endregion ${name}`).exec(recipesFile);
  if (!match) throw new Error(`no region ${name} in recipes.ts`);
  return match[1].replace("'../../lib/index.js'", "'durable-streams-rx'").trim();
}

describe('docs/interceptors.md', () => {
  it.each(['imports', 'auth', 'watch-body', 'logging', 'tracing', 'test-seam'])(
    'quotes the %s recipe as the suite runs it',
    (name) => {
      expect(docs).toContain(region(name));
    },
  );
});

const sseHeld = (open: LoopbackServer) => {
  // SSE answered with one event, then held open: a body that has not ended.
  open.intercept = (req, res) => {
    if (!req.url?.includes('live=sse')) return false;
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
    res.write('event: data\ndata: [1]\n\nevent: control\ndata: {"streamNextOffset":"0_1","upToDate":true}\n\n');
    return true;
  };
};

function firstOf<T>(source: Observable<T>): { first: Promise<T>; subscription: Subscription } {
  let subscription!: Subscription;
  const first = new Promise<T>((resolve, reject) => {
    subscription = source.subscribe({ next: resolve, error: reject });
  });
  return { first, subscription };
}

describe.each(transports)('interceptor recipes (%s)', (_name, makeTransport) => {
  let transport: HttpTransport & { close?: () => Promise<void> };
  let proxy: LoopbackServer;
  let base = '';
  const client = (...interceptors: TransportInterceptor[]) =>
    realClient(transport, { baseUrl: `${base}/v1/stream`, interceptors });

  beforeAll(async () => {
    transport = makeTransport();
    proxy = new LoopbackServer(serverUrl());
    base = await proxy.start();
  });
  afterAll(async () => {
    await transport.close?.();
    await proxy.stop();
  });
  beforeEach(() => {
    proxy.requests.length = 0;
    proxy.intercept = () => false;
  });

  it('logging: the first SSE event arrives while its response is still open, and unsubscribing aborts it through the interceptor', async () => {
    sseHeld(proxy);
    const lines: string[] = [];
    const { first, subscription } = firstOf(
      readJson(client(logRequests((line) => lines.push(line))).stream('held'), { live: 'sse', from: Offset.now }),
    );

    expect((await first).items).toEqual([1]);
    const sse = proxy.matching(/live=sse/)[0];
    expect(sse.closedAt).toBeUndefined(); // not buffered: the body has not ended
    expect(lines).toEqual([
      expect.stringMatching(/^GET http:\/\/127\.0\.0\.1:\d+\/v1\/stream\/held -> 200 after \d+ ms$/),
    ]);

    subscription.unsubscribe();
    await until(() => sse.closedAt !== undefined, 'the SSE request to close', 2_000);
    expect(sse.aborted).toBe(true);
    await until(() => lines.length === 2, 'the body line', 2_000);
    expect(lines[1]).toMatch(/body (ended|failed): \d+ bytes after \d+ ms \(live\)$/);
  });

  it('auth: a plain append refused with 401 is sent once more with a refreshed token and applied once; other origins get no token', async () => {
    const path = uniquePath('auth');
    await firstValueFrom(createStream(realClient(transport).stream(path), { contentType: 'application/json' }));
    let token = 'stale';
    proxy.intercept = (req, res) => {
      if (req.headers.authorization === 'Bearer fresh') return false;
      req.resume();
      res.writeHead(401).end('token expired');
      return true;
    };
    const auth = bearerAuth(base, { current: async () => token, refresh: async () => (token = 'fresh') });
    await firstValueFrom(appendJson(client(auth).stream(path), { n: 1 }));

    expect(proxy.requests.map((r) => [r.method, r.headers.authorization])).toEqual([
      ['POST', 'Bearer stale'],
      ['POST', 'Bearer fresh'],
    ]);
    expect(
      await lastValueFrom(readJson(realClient(transport).stream(path), { live: false }).pipe(collectItems())),
    ).toEqual([{ n: 1 }]);

    const elsewhere = bearerAuth('https://auth.example', {
      current: async () => 'secret',
      refresh: async () => 'secret',
    });
    proxy.intercept = () => false;
    await firstValueFrom(headStream(client(elsewhere).stream(path)));
    expect(proxy.requests.at(-1)!.headers.authorization).toBeUndefined();
  });

  describe('tracing with OpenTelemetry', () => {
    const exporter = new InMemorySpanExporter();
    const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
    const tracer = provider.getTracer('spec');
    beforeAll(() => propagation.setGlobalPropagator(new W3CTraceContextPropagator()));
    afterAll(() => propagation.disable());
    beforeEach(() => exporter.reset());

    it('a client span per request with its status, the trace context in the request headers, errors marked', async () => {
      const path = uniquePath('traced');
      const traced = client(tracing(tracer));
      await firstValueFrom(createStream(traced.stream(path), { contentType: 'application/json' }));
      await firstValueFrom(appendJson(traced.stream(path), { n: 1 }));
      const missing = await firstValueFrom(headStream(traced.stream(uniquePath('missing')))).catch((e: unknown) => e);
      expect(missing).toBeInstanceOf(StreamNotFoundError);

      const spans = exporter.getFinishedSpans();
      expect(spans.map((span) => [span.name, span.attributes['http.response.status_code']])).toEqual([
        ['PUT', 201],
        ['POST', 204],
        ['HEAD', 404],
      ]);
      expect(spans.every((span) => span.kind === SpanKind.CLIENT)).toBe(true);
      expect(spans[0].attributes).toMatchObject({
        'http.request.method': 'PUT',
        'url.full': `${base}/v1/stream/${path}`,
        'server.address': '127.0.0.1',
      });
      expect(spans.map((span) => span.status.code)).toEqual([
        SpanStatusCode.UNSET,
        SpanStatusCode.UNSET,
        SpanStatusCode.ERROR,
      ]);
      expect(proxy.requests.map((r) => r.headers.traceparent)).toEqual(
        spans.map((span) => `00-${span.spanContext().traceId}-${span.spanContext().spanId}-01`),
      );
    });

    it('a live SSE span lasts until its body ends, and an unsubscribe ends it as a cancellation, not an error', async () => {
      sseHeld(proxy);
      const { first, subscription } = firstOf<JsonBatch>(
        readJson(client(tracing(tracer)).stream('held'), { live: 'sse', from: Offset.now }),
      );
      await first;
      expect(exporter.getFinishedSpans()).toHaveLength(0); // still streaming

      subscription.unsubscribe();
      await until(() => exporter.getFinishedSpans().length === 1, 'the span to end', 2_000);
      const [span] = exporter.getFinishedSpans();
      expect(span.status.code).toBe(SpanStatusCode.UNSET);
      expect(span.attributes['http.response.body.size']).toBeGreaterThan(0);
    });
  });
});

describe('interceptors as a test seam', () => {
  it('answers what the test knows without a network, and passes the rest on', async () => {
    const offline: HttpTransport = {
      request: async (request) =>
        Promise.reject(new Error(`no network in this test: ${request.method} ${request.url}`)),
    };
    const client = new DurableStreamsClient({
      baseUrl: 'http://streams.test/v1/stream',
      transport: offline,
      retry: { maxRetries: 0 },
      interceptors: [
        answering((request) =>
          request.method === 'GET' && request.url.includes('/chat?')
            ? {
                status: 200,
                headers: {
                  'content-type': 'application/json',
                  'stream-next-offset': '0_2',
                  'stream-up-to-date': 'true',
                },
                body: '[{"text":"hi"},{"text":"ho"}]',
              }
            : undefined,
        ),
      ],
    });
    expect(await lastValueFrom(readJson(client.stream('chat'), { live: false }).pipe(collectItems()))).toEqual([
      { text: 'hi' },
      { text: 'ho' },
    ]);
    await expect(firstValueFrom(headStream(client.stream('other')))).rejects.toThrow(/no network in this test: HEAD/);
  });
});

describe('docs/interceptors.md: how tests reach requests', () => {
  afterEach(() => nock.cleanAll());

  it('nock sees the default transport', async () => {
    nock('http://streams.test').post('/v1/stream/chat').reply(204, '', { 'stream-next-offset': '0_1' });
    const result = await firstValueFrom(
      appendJson(
        new DurableStreamsClient({ baseUrl: 'http://streams.test/v1/stream' }).stream('chat', {
          contentType: 'application/json',
        }),
        { text: 'hi' },
      ),
    );
    expect(result.nextOffset).toBe('0_1');
    expect(nock.isDone()).toBe(true);
  });

  it("undici's MockAgent answers through undiciTransport({ dispatcher })", async () => {
    const agent = new MockAgent();
    agent.disableNetConnect();
    agent
      .get('http://streams.test')
      .intercept({ path: '/v1/stream/chat', method: 'POST' })
      .reply(204, '', { headers: { 'stream-next-offset': '0_1' } });
    const client = new DurableStreamsClient({
      baseUrl: 'http://streams.test/v1/stream',
      transport: undiciTransport({ dispatcher: agent }),
    });
    const result = await firstValueFrom(
      appendJson(client.stream('chat', { contentType: 'application/json' }), { text: 'hi' }),
    );
    expect(result.nextOffset).toBe('0_1');
    agent.assertNoPendingInterceptors();
    await agent.close();
  });
});
