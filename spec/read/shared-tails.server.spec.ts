import { firstValueFrom, map, type Observable, type Subscription } from 'rxjs';
import {
  DurableStreamsClient,
  type ConnectionState,
  type DurableStream,
  type HttpTransport,
  type JsonBatch,
  type LiveMode,
  append,
  appendJson,
  closeStream,
  createStream,
  headStream,
  readJson,
  readText,
} from '../../lib/index';
import { transports } from '../support/real-server';
import { startWatchedServer, type WatchedServer } from '../support/watched-server';
import { sleep, until } from '../support/until';
import { range } from '../support/range';

jest.setTimeout(60_000);
const MODES: readonly LiveMode[] = ['long-poll', 'sse', 'auto'];

/** Issue #13, item 2: live reads of one stream through one client share one live request. */
describe.each(transports)('shared tails (%s)', (_name, makeTransport) => {
  let server: WatchedServer;
  let transport: HttpTransport & { close?: () => Promise<void> };
  let client: DurableStreamsClient;
  const subscriptions: Subscription[] = [];
  let counter = 0;

  const make = (t: HttpTransport) =>
    new DurableStreamsClient({ baseUrl: server.base, transport: t, retry: { initialDelayMs: 5, maxDelayMs: 50 } });

  beforeAll(async () => {
    server = await startWatchedServer(30_000);
    transport = makeTransport();
    client = make(transport);
  });
  afterEach(() => subscriptions.splice(0).forEach((s) => s.unsubscribe()));
  afterAll(async () => {
    await transport.close?.();
    await server.close();
  });

  async function jsonStream(messages = 0): Promise<{ path: string; stream: DurableStream; offsets: string[] }> {
    const path = `shared-${counter++}`;
    const stream = client.stream(path);
    await firstValueFrom(createStream(stream, { contentType: 'application/json' }));
    const offsets = [(await firstValueFrom(headStream(stream))).nextOffset];
    for (let n = 0; n < messages; n++) offsets.push((await firstValueFrom(appendJson(stream, n))).nextOffset);
    return { path, stream, offsets };
  }

  /** Subscribes and records every item, and whether the read completed or failed. */
  function record(read: Observable<JsonBatch<number>>) {
    const items: number[] = [];
    const result = {
      items,
      done: false,
      error: undefined as unknown,
      subscription: undefined as unknown as Subscription,
    };
    result.subscription = read.subscribe({
      next: (b) => items.push(...b.items),
      complete: () => (result.done = true),
      error: (e: unknown) => (result.error = e),
    });
    subscriptions.push(result.subscription);
    return result;
  }

  const counts = (path: string) => server.counts(path);

  it.each(MODES)("gives 40 readers of one stream ('%s') every message once, over one live request", async (live) => {
    const { path, stream, offsets } = await jsonStream();
    const readers = Array.from({ length: 40 }, () => record(readJson<number>(stream, { live, from: offsets[0] })));
    await until(
      async () => (await counts(path)).openLive === 1,
      async () => `one live request (${JSON.stringify(await counts(path))})`,
    );
    for (let n = 0; n < 20; n++) await firstValueFrom(appendJson(stream, n));
    await until(
      () => readers.every((r) => r.items.length === 20),
      () => `every reader to have 20 (${readers.map((r) => r.items.length).join(',')})`,
    );
    expect(readers.every((r) => r.items.join() === range(0, 20).join())).toBe(true);
    expect((await counts(path)).openLive).toBe(1);
  });

  it('lets readers starting at many offsets, while appends go on, join at exactly their offset', async () => {
    const { path, stream, offsets } = await jsonStream(30);
    const first = record(readJson<number>(stream, { live: 'sse', from: offsets[30] }));
    await until(
      async () => (await counts(path)).openLive === 1,
      () => 'the tail to be live',
    );
    let appended = 30;
    const appending = (async () => {
      for (; appended < 90; appended++) {
        offsets.push((await firstValueFrom(appendJson(stream, appended))).nextOffset);
        await sleep(5);
      }
    })();
    // A joiner at every offset known so far, as they become known: behind, at and just behind the tail.
    const joiners: Array<{ start: number; reader: ReturnType<typeof record> }> = [];
    for (let start = 0; start < 75; start += 3) {
      await until(
        () => offsets.length > start,
        () => `offset ${start}`,
      );
      joiners.push({ start, reader: record(readJson<number>(stream, { live: 'sse', from: offsets[start] })) });
      await sleep(7);
    }
    await appending;
    await firstValueFrom(closeStream(stream));
    await until(
      () => first.done && joiners.every((j) => j.reader.done),
      () =>
        `every read to reach EOF (${joiners
          .filter((j) => !j.reader.done)
          .map((j) => j.start)
          .join(',')})`,
    );
    expect(first.items).toEqual(range(30, 90));
    for (const { start, reader } of joiners) expect([start, reader.items]).toEqual([start, range(start, 90)]);
  });

  it('keeps the others reading when one subscriber leaves and another fails in its own code; the last one out ends the request', async () => {
    const { path, stream, offsets } = await jsonStream();
    const fresh = makeTransport();
    try {
      const own = make(fresh).stream(path);
      const staying = record(readJson<number>(own, { live: 'sse', from: offsets[0] }));
      const leaving = record(readJson<number>(own, { live: 'sse', from: offsets[0] }));
      const failing = record(
        readJson<number>(own, { live: 'sse', from: offsets[0] }).pipe(
          map((batch) => {
            if (batch.items.includes(3)) throw new Error('a bug in this subscriber');
            return batch;
          }),
        ),
      );
      await until(
        async () => (await counts(path)).openLive === 1,
        () => 'one live request',
      );
      for (let n = 0; n < 6; n++) {
        await firstValueFrom(appendJson(stream, n));
        await until(
          () => staying.items.length === n + 1,
          () => `the staying reader to have ${n + 1}`,
        );
        if (n === 1) leaving.subscription.unsubscribe();
      }
      expect(staying.items).toEqual(range(0, 6));
      expect(leaving.items).toEqual([0, 1]);
      expect((failing.error as Error).message).toBe('a bug in this subscriber');
      expect((await counts(path)).openLive).toBe(1);
      subscriptions.splice(0).forEach((s) => s.unsubscribe());
      await until(
        async () => (await counts(path)).openReads === 0,
        async () => `no read left at the server (${JSON.stringify(await counts(path))})`,
      );
    } finally {
      await fresh.close?.();
    }
  });

  it('never mixes reads whose requests differ: other headers, another header function, other params', async () => {
    const { path, stream, offsets } = await jsonStream();
    const token = () => 'a';
    const reads = [
      { headers: { 'x-token': 'a' } },
      { headers: { 'x-token': 'a' } },
      { headers: { 'x-token': 'b' } },
      { headers: { 'x-token': token } },
      { headers: { 'x-token': token } },
      { headers: { 'x-token': () => 'a' } },
      { params: { tenant: 'x' } },
    ];
    const readers = reads.map((options) =>
      record(readJson<number>(stream, { live: 'sse', from: offsets[0], ...options })),
    );
    await until(
      async () => (await counts(path)).openLive === 5,
      async () => `five live requests (${JSON.stringify(await counts(path))})`,
    );
    await firstValueFrom(appendJson(stream, 7));
    await until(
      () => readers.every((r) => r.items.length === 1),
      () => 'every reader to have the message',
    );
    await sleep(100);
    expect((await counts(path)).openLive).toBe(5);
  });

  it("tells a joiner where its connection stands: its own catch-up, then the shared tail's, to the end", async () => {
    const { path, stream, offsets } = await jsonStream(5);
    const statesOf = (states: ConnectionState[]) =>
      states.map((state) => (state.status === 'live' ? `live:${state.mode}` : state.status));
    const first: ConnectionState[] = [];
    const joiner: ConnectionState[] = [];
    const a = record(
      readJson<number>(stream, { live: 'sse', from: offsets[5], connectionState: { next: (s) => first.push(s) } }),
    );
    await until(
      async () => (await counts(path)).openLive === 1,
      () => 'the tail to be live',
    );
    const b = record(
      readJson<number>(stream, { live: 'sse', from: offsets[0], connectionState: { next: (s) => joiner.push(s) } }),
    );
    await until(
      () => b.items.length === 5,
      () => 'the joiner to catch up',
    );
    await firstValueFrom(closeStream(stream));
    await until(
      () => a.done && b.done,
      () => 'both reads to end',
    );
    expect(statesOf(first)).toEqual(['connecting', 'live:sse', 'closed']);
    // Its own catch-up answered up to date at once: live, then the tail's states.
    expect(statesOf(joiner)).toEqual(['connecting', 'live:sse', 'closed']);
  });

  it('decodes text per reader, so a character split across appends comes out whole for a reader that joined between them', async () => {
    const path = `shared-text-${counter++}`;
    const stream = client.stream(path);
    await firstValueFrom(createStream(stream, { contentType: 'text/plain' }));
    const start = (await firstValueFrom(headStream(stream))).nextOffset;
    const texts = [[] as string[], [] as string[]];
    subscriptions.push(readText(stream, { live: 'long-poll', from: start }).subscribe((c) => texts[0].push(c.text)));
    await until(
      async () => (await counts(path)).openLive === 1,
      () => 'the tail to be live',
    );
    const e = new TextEncoder().encode('é');
    await firstValueFrom(append(stream, e.slice(0, 1)));
    subscriptions.push(readText(stream, { live: 'long-poll', from: start }).subscribe((c) => texts[1].push(c.text)));
    await sleep(150);
    await firstValueFrom(append(stream, e.slice(1)));
    await until(
      () => texts.every((t) => t.join('') === 'é'),
      () => `both readers to read é (${JSON.stringify(texts)})`,
    );
  });
});
