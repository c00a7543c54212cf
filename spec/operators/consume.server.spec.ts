import { firstValueFrom, lastValueFrom, Observable, take, timer, toArray } from 'rxjs';
import {
  consume,
  InvalidArgumentError,
  Offset,
  StreamNotFoundError,
  type DurableStreamsClient,
  type HttpRequest,
  type HttpResponse,
  type HttpTransport,
  type JsonBatch,
  appendJson,
  createStream,
  readJson,
} from '../../lib/index';
import { undiciTransport } from '../../lib/transport/undici/undici-transport';
import { realClient, uniquePath } from '../support/real-server';

/** Records when each read request of the stream left, and passes it on. */
class ReadLog implements HttpTransport {
  readonly reads: Array<{ readonly at: number; readonly url: string }> = [];
  private readonly inner = undiciTransport();
  request(request: HttpRequest): Promise<HttpResponse> {
    if (request.method === 'GET') this.reads.push({ at: performance.now(), url: request.url });
    return this.inner.request(request);
  }
  close = () => this.inner.close();
}

/** A Map behind the async store interface, whose writes take `delayMs`. */
class SlowStore {
  readonly values = new Map<string, string>();
  readonly writes: Array<{ readonly at: number; readonly value: string }> = [];
  constructor(private readonly delayMs = 0) {}
  get(key: string) {
    return Promise.resolve(this.values.get(key));
  }
  async set(key: string, value: string) {
    await new Promise((resolve) => setTimeout(resolve, this.delayMs));
    this.values.set(key, value);
    this.writes.push({ at: performance.now(), value });
  }
}

describe('consume() on the reference server', () => {
  let log: ReadLog;
  let client: DurableStreamsClient;
  beforeEach(() => {
    log = new ReadLog();
    client = realClient(log);
  });
  afterEach(() => log.close());

  const stream = async (values: unknown[]) => {
    const handle = client.stream(uniquePath('consume'), { contentType: 'application/json' });
    await firstValueFrom(createStream(handle, { contentType: 'application/json' }));
    for (const value of values) await firstValueFrom(appendJson(handle, value));
    return handle;
  };

  it('requests the next response only once the handler finished, and saves the checkpoint after each batch', async () => {
    const handle = await stream([{ n: 1 }]);
    const store = new SlowStore(30);
    const spans: Array<{ start: number; end: number }> = [];
    const seen: unknown[] = [];
    const batches = lastValueFrom(
      consume<{ n: number }>(
        handle,
        async (batch) => {
          const start = performance.now();
          seen.push(...batch.items);
          // More data arrives while the handler runs: the consumer must not ask for it before the handler is done.
          if (batch.items.some((item) => item.n === 1))
            for (const n of [2, 3]) await firstValueFrom(appendJson(handle, { n }));
          await firstValueFrom(timer(150));
          spans.push({ start, end: performance.now() });
        },
        { storage: store, key: 'c1', live: 'long-poll' },
      ).pipe(take(2), toArray()),
    );
    const handled = await batches;
    expect(seen).toEqual([{ n: 1 }, { n: 2 }, { n: 3 }]);
    expect(handled.map((batch: JsonBatch<{ n: number }>) => batch.items.map((item) => item.n))).toEqual([[1], [2, 3]]);
    // No read left while a handler ran, nor before its checkpoint was written.
    for (const span of spans)
      expect(log.reads.filter((read) => read.at > span.start && read.at < span.end)).toEqual([]);
    const firstSave = store.writes[0].at;
    expect(log.reads.filter((read) => read.at > spans[0].end && read.at < firstSave)).toEqual([]);
    expect(JSON.parse(store.values.get('c1')!)).toEqual(handled[1].checkpoint);
  });

  it('resumes after the last handled batch', async () => {
    const handle = await stream([{ n: 1 }, { n: 2 }]);
    const store = new SlowStore();
    const first: unknown[] = [];
    await lastValueFrom(
      consume(handle, (batch) => void first.push(...batch.items), { storage: store, key: 'c2', live: false }),
      { defaultValue: undefined },
    );
    await firstValueFrom(appendJson(handle, { n: 3 }));
    const second: unknown[] = [];
    await lastValueFrom(
      consume(handle, (batch) => void second.push(...batch.items), { storage: store, key: 'c2', live: false }),
      { defaultValue: undefined },
    );
    expect(first).toEqual([{ n: 1 }, { n: 2 }]);
    expect(second).toEqual([{ n: 3 }]);
  });

  it('starts at the tail with from: Offset.now when nothing is saved', async () => {
    const handle = await stream([{ n: 1 }]);
    const seen: unknown[] = [];
    const done = firstValueFrom(
      consume(handle, (batch) => void seen.push(...batch.items), {
        storage: new SlowStore(),
        key: 'c3',
        from: Offset.now,
      }),
    );
    await firstValueFrom(timer(100));
    await firstValueFrom(appendJson(handle, { n: 2 }));
    await done;
    expect(seen).toEqual([{ n: 2 }]);
  });

  describe('from: Offset.now, resolved to the tail once, before the first delivery', () => {
    const queryOf = (url: string) => Object.fromEntries(new URL(url).searchParams);
    const liveRequestSent = async (after: number) => {
      while (!log.reads.slice(after).some((read) => queryOf(read.url).live === 'long-poll'))
        await firstValueFrom(timer(10));
    };

    it('delivers the batch again when the handler fails before any checkpoint was saved', async () => {
      const handle = await stream([{ n: 1 }]);
      const store = new SlowStore();
      const handled: Array<readonly unknown[]> = [];
      const first = firstValueFrom(
        consume(
          handle,
          (batch) => {
            handled.push(batch.items);
            if (handled.length === 1) throw new Error('the first attempt fails');
          },
          { storage: store, key: 'now-fails', from: Offset.now },
        ),
      );
      await liveRequestSent(0);
      await firstValueFrom(appendJson(handle, { n: 2 }));
      await expect(first).resolves.toMatchObject({ items: [{ n: 2 }] });
      expect(handled).toEqual([[{ n: 2 }], [{ n: 2 }]]);
      // `now` was asked once, as a catch-up answered at once; every later request names the tail's offset.
      const queries = log.reads.map((read) => queryOf(read.url));
      expect(queries[0]).toEqual({ offset: 'now' });
      const tail = queries[1].offset;
      expect(tail).toMatch(/^\d/);
      expect(queries.slice(1).every((query) => query.offset !== 'now')).toBe(true);
      // The live request that brought the batch, then the retry's read from the same saved tail.
      expect(queries.filter((query) => query.offset === tail).length).toBeGreaterThanOrEqual(2);
    });

    it('a consumer stopped before its first batch was handled leaves the tail it started at saved: the next run gets that batch', async () => {
      const handle = await stream([{ n: 1 }]);
      const store = new SlowStore();
      const handler = { failed: false };
      const crashing = consume(
        handle,
        () => {
          handler.failed = true;
          throw new Error('the process dies in the handler');
        },
        { storage: store, key: 'now-restart', from: Offset.now, retry: { initialDelayMs: 60_000, maxDelayMs: 60_000 } },
      ).subscribe({ error: () => undefined });
      await liveRequestSent(0);
      await firstValueFrom(appendJson(handle, { n: 2 }));
      while (!handler.failed) await firstValueFrom(timer(10));
      crashing.unsubscribe();
      await firstValueFrom(appendJson(handle, { n: 3 }));
      const restarted = await firstValueFrom(
        consume(handle, () => undefined, { storage: store, key: 'now-restart', from: Offset.now, live: false }),
      );
      expect(restarted.items).toEqual([{ n: 2 }, { n: 3 }]);
    });
  });

  it('redelivers a batch whose handler failed, from the last checkpoint, after backoff', async () => {
    const handle = await stream([{ n: 1 }]);
    const store = new SlowStore();
    let calls = 0;
    const result = await firstValueFrom(
      consume(
        handle,
        (batch) => {
          calls++;
          if (calls < 3) throw new Error(`attempt ${calls} fails`);
          return batch.items;
        },
        { storage: store, key: 'c4', live: false },
      ),
    );
    expect(calls).toBe(3);
    expect(result.items).toEqual([{ n: 1 }]);
    expect(store.values.get('c4')).toBeDefined();
  });

  it("ends with the handler's own error after retry.maxRetries failures in a row; nothing is saved", async () => {
    const handle = await stream([{ n: 1 }]);
    const store = new SlowStore();
    const boom = new Error('always fails');
    let calls = 0;
    const failing = consume(
      handle,
      () => {
        calls++;
        return Promise.reject(boom);
      },
      { storage: store, key: 'c5', live: false, retry: { maxRetries: 2 } },
    );
    await expect(lastValueFrom(failing)).rejects.toBe(boom);
    expect(calls).toBe(3);
    expect(store.values.has('c5')).toBe(false);
  });

  it("leaves the read's own errors to the read's retry policy, not to the handler's", async () => {
    const missing = client.stream(uniquePath('consume-missing'));
    const handler = jest.fn();
    await expect(
      lastValueFrom(consume(missing, handler, { storage: new SlowStore(), key: 'c6', live: false })),
    ).rejects.toBeInstanceOf(StreamNotFoundError);
    expect(log.reads).toHaveLength(1);
    expect(handler).not.toHaveBeenCalled();
  });

  it('refuses SSE, which cannot wait for the handler, at the call, before any request', () => {
    const handle = client.stream(uniquePath('consume-sse'));
    expect(() => consume(handle, () => [], { storage: new SlowStore(), key: 'k', live: 'sse' as never })).toThrow(
      InvalidArgumentError,
    );
    for (const from of ['', 7, { cursor: 'c' }]) {
      expect(() => consume(handle, () => [], { storage: new SlowStore(), key: 'k', from: from as never })).toThrow(
        InvalidArgumentError,
      );
    }
    expect(() => consume(handle, () => [], { storage: {} as never, key: 'k' })).toThrow(InvalidArgumentError);
    expect(log.reads).toHaveLength(0);
  });

  it("starts after a batch with from: that batch's checkpoint when nothing is saved", async () => {
    const handle = await stream([{ n: 1 }]);
    const { checkpoint } = await firstValueFrom(readJson(handle, { live: false }));
    await firstValueFrom(appendJson(handle, { n: 2 }));
    const seen: unknown[] = [];
    await firstValueFrom(
      consume(handle, (batch) => void seen.push(...batch.items), {
        storage: new SlowStore(),
        key: 'c4',
        from: checkpoint,
      }),
    );
    expect(seen).toEqual([{ n: 2 }]);
  });

  it('never shares a tail: a stuck consumer holds back neither another consumer nor a live read of the same stream', async () => {
    const handle = await stream([{ n: 1 }]);
    // Live from the start: were it to share, its tail would be the one the others join.
    const stuck = consume(handle, () => new Observable<never>(), {
      storage: new SlowStore(),
      key: 'stuck',
      from: Offset.now,
    }).subscribe();
    await firstValueFrom(timer(100));
    const live: unknown[] = [];
    const reader = readJson(handle, { from: Offset.now, live: 'long-poll' }).subscribe((batch) =>
      live.push(...batch.items),
    );
    try {
      const other = firstValueFrom(
        consume(handle, () => undefined, { storage: new SlowStore(), key: 'other', from: Offset.now }),
      );
      await firstValueFrom(timer(100));
      await firstValueFrom(appendJson(handle, { n: 2 }));
      await expect(other).resolves.toMatchObject({ items: [{ n: 2 }] });
      while (live.length === 0) await firstValueFrom(timer(10));
      expect(live).toEqual([{ n: 2 }]);
    } finally {
      stuck.unsubscribe();
      reader.unsubscribe();
    }
  });

  it('unsubscribing stops the handler and the read', async () => {
    const handle = await stream([{ n: 1 }]);
    let handlerStopped = false;
    const slow = new Observable<never>(() => () => (handlerStopped = true));
    const subscription = consume(handle, () => slow, { storage: new SlowStore(), key: 'c7' }).subscribe();
    while (log.reads.length === 0) await firstValueFrom(timer(10));
    await firstValueFrom(timer(100));
    const before = log.reads.length;
    subscription.unsubscribe();
    expect(handlerStopped).toBe(true);
    await firstValueFrom(timer(300));
    expect(log.reads.length).toBe(before);
  });
});
