import { firstValueFrom, type Observable, type Subscription } from 'rxjs';
import {
  DurableStreamsClient,
  appendJson,
  createStream,
  headStream,
  readJson,
  sharedCatchUps,
  type DurableStream,
  type HttpRequest,
  type HttpTransport,
  type JsonBatch,
  type LiveMode,
} from '../../lib/index';
import { transports } from '../support/real-server';
import { range } from '../support/range';
import { until } from '../support/until';
import { startWatchedServer, type WatchedServer } from '../support/watched-server';

jest.setTimeout(60_000);

/** A transport that records the GET requests it sends (their query) and which of them were aborted. */
function counting(inner: HttpTransport) {
  const gets: Array<{ readonly query: string; aborted: boolean }> = [];
  const transport: HttpTransport = {
    reportsSent: inner.reportsSent,
    request: (request: HttpRequest) => {
      if (request.method === 'GET') {
        const sent = { query: new URL(request.url).search, aborted: false };
        gets.push(sent);
        request.signal.addEventListener('abort', () => (sent.aborted = true), { once: true });
      }
      return inner.request(request);
    },
  };
  /** The catch-up requests sent so far (GETs without `live`). */
  const catchUps = () => gets.filter((get) => !get.query.includes('live='));
  return { transport, catchUps };
}

/**
 * Issue #23 item 6: reads of one stream from one offset, through one client made with `catchUps: sharedCatchUps()`,
 * share the catch-up in flight; through a client without it, each reads on its own.
 */
describe.each(transports)('shared catch-ups (%s)', (_name, makeTransport) => {
  let server: WatchedServer;
  let inner: HttpTransport & { close?: () => Promise<void> };
  const subscriptions: Subscription[] = [];
  let counter = 0;

  beforeAll(async () => {
    server = await startWatchedServer(30_000);
    inner = makeTransport();
  });
  afterEach(() => subscriptions.splice(0).forEach((s) => s.unsubscribe()));
  afterAll(async () => {
    await inner.close?.();
    await server.close();
  });

  /** A JSON stream of `messages` numbers, and a fresh client on a counting transport (sharing catch-ups unless told not to). */
  async function setUp(messages: number, { shared = true } = {}) {
    const { transport, catchUps } = counting(inner);
    const client = new DurableStreamsClient({
      baseUrl: server.base,
      transport,
      retry: { initialDelayMs: 5, maxDelayMs: 50 },
      ...(shared ? { catchUps: sharedCatchUps() } : {}),
    });
    const path = `catch-up-${counter++}`;
    const stream: DurableStream<number> = client.stream(path);
    await firstValueFrom(createStream(stream, { contentType: 'application/json' }));
    const start = (await firstValueFrom(headStream(stream))).nextOffset;
    for (let n = 0; n < messages; n++) await firstValueFrom(appendJson(stream, n));
    return { path, stream, start, catchUps };
  }

  /** Holds the next read of `path` at the server for `delayMs` (its fault injection). */
  async function holdNextRead(path: string, delayMs: number) {
    const response = await fetch(`${new URL(server.base).origin}/_test/inject-error`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ path: `/v1/stream/${path}`, delayMs, count: 1, method: 'GET' }),
    });
    expect(response.ok).toBe(true);
  }

  interface Recorded {
    readonly items: number[];
    done: boolean;
    error: unknown;
    subscription?: Subscription;
  }

  function record(read: Observable<JsonBatch<number>>): Required<Recorded> {
    const result: Recorded = { items: [], done: false, error: undefined };
    result.subscription = read.subscribe({
      next: (batch) => result.items.push(...batch.items),
      complete: () => (result.done = true),
      error: (error: unknown) => (result.error = error),
    });
    subscriptions.push(result.subscription);
    return result as Required<Recorded>;
  }

  /**
   * `count` live reads of a fresh stream of 25 from its start, all subscribed at once: each gets the 25, then they go
   * live together on one live request (the shared tail) and get an append. The catch-up requests sent, at the end.
   */
  async function readTogether(live: LiveMode, count: number, options: { shared?: boolean } = {}) {
    const { path, stream, start, catchUps } = await setUp(25, options);
    const readers = Array.from({ length: count }, () => record(readJson<number>(stream, { live, from: start })));
    await until(
      () => readers.every((reader) => reader.items.length === 25),
      () => `every reader to have 25 (${readers.map((reader) => reader.items.length).join(',')})`,
    );
    for (const reader of readers) expect(reader.items).toEqual(range(0, 25));
    const caughtUp = catchUps().length;
    await until(
      async () => (await server.counts(path)).openLive === 1,
      async () => `one live request (${JSON.stringify(await server.counts(path))})`,
    );
    await firstValueFrom(appendJson(stream, 25));
    await until(
      () => readers.every((reader) => reader.items.length === 26),
      () => 'every reader to have the appended message',
    );
    // No catch-up request after the first ones: the live tail is shared either way.
    expect(catchUps().length).toBe(caughtUp);
    return caughtUp;
  }

  it.each<LiveMode>(['long-poll', 'sse', 'auto'])(
    'gives 30 reads of one stream from one offset (live: %s) everything, over one catch-up request',
    async (live) => {
      expect(await readTogether(live, 30)).toBe(1);
    },
  );

  it.each<LiveMode>(['long-poll', 'sse'])(
    'without catchUps: sharedCatchUps() (the default), gives each of 10 reads (live: %s) its own catch-up request',
    async (live) => {
      expect(await readTogether(live, 10, { shared: false })).toBe(10);
    },
  );

  it('lets a read from another offset, one with headers of its own, or one with live: false catch up on its own', async () => {
    const { stream, start, catchUps } = await setUp(3);
    const second = (await firstValueFrom(readJson<number>(stream, { live: false, from: start }))).offset;
    const readers = [
      record(readJson<number>(stream, { live: 'long-poll', from: start })),
      record(readJson<number>(stream, { live: 'long-poll', from: start })),
      record(readJson<number>(stream, { live: 'long-poll', from: second })),
      record(readJson<number>(stream, { live: 'long-poll', from: start, headers: { 'x-tenant': 'a' } })),
      record(readJson<number>(stream, { live: false, from: start })),
    ];
    await until(
      () => [0, 1, 3, 4].every((n) => readers[n].items.length === 3) && readers[4].done,
      () => `the readers to catch up (${readers.map((reader) => reader.items.length).join(',')})`,
    );
    await until(
      () => catchUps().length >= 5,
      () => `five catch-ups (${catchUps().length})`,
    );
    expect(readers.map((reader) => reader.items)).toEqual([range(0, 3), range(0, 3), [], range(0, 3), range(0, 3)]);
    // One for the read that learned `second`, one shared, one from `second`, one with its own headers, one not live.
    expect(catchUps().length).toBe(5);
  });

  it('keeps the catch-up for the others when one read leaves; the last one out aborts it', async () => {
    const { path, stream, start, catchUps } = await setUp(5);
    await holdNextRead(path, 2_000);
    const readers = Array.from({ length: 3 }, () => record(readJson<number>(stream, { live: 'sse', from: start })));
    await until(
      async () => (await server.counts(path)).openReads === 1,
      async () => `the catch-up at the server (${JSON.stringify(await server.counts(path))})`,
    );
    readers[0].subscription.unsubscribe();
    await until(
      () => readers[1].items.length === 5 && readers[2].items.length === 5,
      () => 'the staying readers to catch up',
    );
    expect(readers.map((reader) => reader.items)).toEqual([[], range(0, 5), range(0, 5)]);
    expect(catchUps()).toEqual([{ query: expect.stringContaining('offset=') as string, aborted: false }]);

    // Held again (once the staying readers' tail is at the server, so that it is not the read held): every read leaves.
    await until(
      async () => (await server.counts(path)).openLive === 1,
      () => 'the tail of the staying readers',
    );
    await holdNextRead(path, 20_000);
    const again = Array.from({ length: 3 }, () => record(readJson<number>(stream, { live: 'sse', from: start })));
    await until(
      async () => (await server.counts(path)).openReads === 2, // the tail of the first readers, and this catch-up
      async () => `the second catch-up at the server (${JSON.stringify(await server.counts(path))})`,
    );
    expect(catchUps().length).toBe(2);
    again[0].subscription.unsubscribe();
    again[1].subscription.unsubscribe();
    expect(catchUps()[1].aborted).toBe(false);
    again[2].subscription.unsubscribe();
    expect(catchUps()[1].aborted).toBe(true);
    await until(
      async () => (await server.counts(path)).openReads === 1,
      async () => `only the tail left at the server (${JSON.stringify(await server.counts(path))})`,
    );
    expect(again.map((reader) => [reader.items.length, reader.error])).toEqual([
      [0, undefined],
      [0, undefined],
      [0, undefined],
    ]);
  });
});
