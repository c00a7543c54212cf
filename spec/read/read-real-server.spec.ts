import {
  filter,
  firstValueFrom,
  lastValueFrom,
  map,
  scan,
  share,
  shareReplay,
  take,
  takeWhile,
  toArray,
  type Observable,
  type Subscription,
} from 'rxjs';
import { eachValueFrom } from 'rxjs-for-await';
import {
  collectItems,
  collectText,
  items,
  Offset,
  UnauthorizedError,
  type DurableStream,
  type DurableStreamsClient,
  type HttpTransport,
  type JsonBatch,
  append,
  appendJson,
  closeStream,
  createStream,
  headStream,
  readBytes,
  readJson,
  readText,
} from '../../lib/index';
import { injectFault, realClient, serverUrl, transports, uniquePath } from '../support/real-server';
import { LoopbackServer } from '../support/loopback-server';
import { sleep, until } from '../support/until';

const LIVE_MODES = ['long-poll', 'sse', 'auto'] as const;

/** Subscribes and records every value, for tests that act while a read is live. */
function record<T>(source: Observable<T>): { values: T[]; done: Promise<T[]>; subscription: Subscription } {
  const values: T[] = [];
  let subscription!: Subscription;
  const done = new Promise<T[]>((resolve, reject) => {
    subscription = source.subscribe({ next: (v) => values.push(v), error: reject, complete: () => resolve(values) });
  });
  return { values, done, subscription };
}

describe.each(transports)('reads against the reference server (%s)', (_name, makeTransport) => {
  let transport: HttpTransport & { close?: () => Promise<void> };
  let proxy: LoopbackServer;
  let client: DurableStreamsClient;

  beforeAll(async () => {
    transport = makeTransport();
    proxy = new LoopbackServer(serverUrl());
    client = realClient(transport, { baseUrl: `${await proxy.start()}/v1/stream` });
  });
  afterAll(async () => {
    await transport.close?.();
    await proxy.stop();
  });
  beforeEach(() => {
    proxy.intercept = () => false;
  });

  async function jsonStream(...values: unknown[]): Promise<[DurableStream, string]> {
    const path = uniquePath('read');
    const stream = client.stream(path);
    await firstValueFrom(createStream(stream, { contentType: 'application/json' }));
    for (const value of values) await firstValueFrom(appendJson(stream, value));
    return [stream, path];
  }

  const requestsFor = (path: string) =>
    proxy.requests.filter((r) => r.url.includes(`/${path}?`)).map((r) => r.url.slice(r.url.indexOf('?') + 1));

  it('live: false catches up over several appends and completes', async () => {
    const [stream, path] = await jsonStream(...Array.from({ length: 50 }, (_, n) => ({ n })));
    const values = await lastValueFrom(readJson<{ n: number }>(stream, { live: false }).pipe(collectItems()));
    expect(values.map((v) => v.n)).toEqual(Array.from({ length: 50 }, (_, n) => n));
    expect(requestsFor(path).every((q) => !q.includes('live='))).toBe(true);
  });

  describe.each(LIVE_MODES)("live: '%s'", (live) => {
    it('delivers data appended while tailing, in order, and completes at EOF', async () => {
      const [stream, path] = await jsonStream({ n: 1 });
      const read = record(readJson<{ n: number }>(stream, { live }));
      await until(() => read.values.length > 0, 'the catch-up batch');
      // Give the live request time to reach the server before appending.
      await sleep(100);
      await firstValueFrom(appendJson(stream, { n: 2 }));
      await until(() => read.values.flatMap((b) => b.items).length === 2, 'the second message');
      await firstValueFrom(appendJson(stream, { n: 3 }));
      await firstValueFrom(closeStream(stream));
      const batches = await read.done;
      expect(batches.flatMap((b) => b.items)).toEqual([{ n: 1 }, { n: 2 }, { n: 3 }]);
      expect(batches.at(-1)).toMatchObject({ closed: true, upToDate: true });
      expect(batches.slice(0, -1).every((b) => !b.closed)).toBe(true);
      const queries = requestsFor(path);
      const usedSse = queries.some((q) => q.includes('live=sse'));
      const usedLongPoll = queries.some((q) => q.includes('live=long-poll'));
      expect([usedSse, usedLongPoll]).toEqual(live === 'long-poll' ? [false, true] : [true, false]);
    });

    it('resumes from a checkpoint with no gap and no duplicate', async () => {
      const [stream] = await jsonStream({ n: 1 }, { n: 2 });
      const first = record(readJson<{ n: number }>(stream, { live }));
      await until(() => first.values.some((b) => b.upToDate), 'catching up');
      await sleep(100);
      await firstValueFrom(appendJson(stream, { n: 3 }));
      await until(() => first.values.flatMap((b) => b.items).length === 3, 'the live message');
      first.subscription.unsubscribe();
      const checkpoint = first.values.at(-1)!.checkpoint;
      expect(first.values.flatMap((b) => b.items)).toEqual([{ n: 1 }, { n: 2 }, { n: 3 }]);

      // Written while no one reads.
      await firstValueFrom(appendJson(stream, { n: 4 }));
      await firstValueFrom(appendJson(stream, { n: 5 }));
      await firstValueFrom(closeStream(stream));

      const resumed = await lastValueFrom(
        readJson<{ n: number }>(stream, { live, from: checkpoint }).pipe(items(), toArray()),
      );
      expect(resumed).toEqual([{ n: 4 }, { n: 5 }]);
    });

    it('from Offset.now sees only what is appended after it starts', async () => {
      const [stream, path] = await jsonStream({ old: true });
      const read = record(readJson(stream, { live, from: Offset.now }));
      await until(() => requestsFor(path).some((q) => q.includes('live=')), 'the live request');
      await sleep(100);
      await firstValueFrom(appendJson(stream, { fresh: true }));
      await until(() => read.values.some((b) => b.items.length > 0), 'the new message');
      read.subscription.unsubscribe();
      expect(read.values.flatMap((b) => b.items)).toEqual([{ fresh: true }]);
      // No catch-up round trip: the first request is already live, at offset=now.
      expect(requestsFor(path)[0]).toMatch(/live=(sse|long-poll)&offset=now/);
    });
  });

  describe('unsubscribing closes the connection at once', () => {
    it('mid-long-poll: the held request is aborted, long before the server would answer', async () => {
      const [stream, path] = await jsonStream();
      const subscription = readJson(stream, { live: 'long-poll', from: Offset.now }).subscribe();
      const pattern = new RegExp(`/${path}\\?.*live=long-poll`);
      const held = await proxy.waitFor(pattern);
      await sleep(200);
      expect(held.closedAt).toBeUndefined();
      const unsubscribedAt = Date.now();
      subscription.unsubscribe();
      await until(() => held.closedAt !== undefined, 'the connection to close', 5_000);
      expect(held.aborted).toBe(true);
      // The reference server holds a long-poll for 2 s; an abort closes it well before, even on a loaded machine.
      expect(held.closedAt! - unsubscribedAt).toBeLessThan(1_500);
      expect(proxy.matching(pattern)).toHaveLength(1);
    });

    it('mid-SSE: the endless response is aborted and not reopened', async () => {
      const [stream, path] = await jsonStream({ n: 1 });
      const read = record(readJson(stream, { live: 'sse' }));
      const pattern = new RegExp(`/${path}\\?.*live=sse`);
      const connection = await proxy.waitFor(pattern);
      await until(() => read.values.length > 0, 'the first batch');
      await sleep(100);
      const unsubscribedAt = Date.now();
      read.subscription.unsubscribe();
      await until(() => connection.closedAt !== undefined, 'the SSE connection to close', 5_000);
      expect(connection.aborted).toBe(true);
      expect(connection.closedAt! - unsubscribedAt).toBeLessThan(1_500);
      await sleep(300);
      expect(proxy.matching(pattern)).toHaveLength(1);
    });
  });

  it('binary over SSE: every byte value survives the base64 round trip', async () => {
    const path = uniquePath('bin');
    const stream = client.stream(path, { contentType: 'application/octet-stream' });
    await firstValueFrom(createStream(stream, { contentType: 'application/octet-stream' }));
    const read = record(readBytes(stream, { live: 'sse' }));
    await until(() => read.values.length > 0, 'catching up');
    await sleep(100);
    const payload = Uint8Array.from({ length: 256 }, (_, i) => 255 - i);
    await firstValueFrom(append(stream, payload));
    await firstValueFrom(append(stream, Uint8Array.of(0, 13, 10, 0)));
    await firstValueFrom(closeStream(stream));
    const chunks = await read.done;
    const received = Buffer.concat(chunks.map((c) => c.data));
    expect(Array.from(received)).toEqual([...payload, 0, 13, 10, 0]);
    expect(requestsFor(path).filter((q) => q.includes('live=long-poll'))).toEqual([]);
  });

  it('readText: a UTF-8 character split across two appends (two responses) comes out whole', async () => {
    const path = uniquePath('utf8');
    const stream = client.stream(path, { contentType: 'text/plain' });
    await firstValueFrom(createStream(stream, { contentType: 'text/plain' }));
    const euro = new TextEncoder().encode('€');
    await firstValueFrom(append(stream, Uint8Array.of(0x61, euro[0], euro[1])));
    const read = record(readText(stream, { live: 'long-poll' }));
    await until(() => read.values.length > 0, 'the first half');
    await sleep(100);
    await firstValueFrom(append(stream, Uint8Array.of(euro[2], 0x62)));
    await firstValueFrom(closeStream(stream));
    const chunks = await read.done;
    expect(chunks.map((c) => c.text).join('')).toBe('a€b');
    expect(chunks[0].text).toBe('a');
    expect(chunks.some((c) => c.text.includes('\uFFFD'))).toBe(false);
  });

  it('readText resumed where a U+FEFF starts gives it, as a read from the beginning does: no character lost', async () => {
    const stream = client.stream(uniquePath('bom'), { contentType: 'text/plain' });
    await firstValueFrom(createStream(stream, { contentType: 'text/plain' }));
    await firstValueFrom(append(stream, 'a'));
    const between = (await firstValueFrom(headStream(stream))).nextOffset;
    await firstValueFrom(append(stream, '\uFEFFb'));
    const whole = await lastValueFrom(readText(stream, { live: false }).pipe(toArray()));
    expect(whole.map((c) => c.text).join('')).toBe('a\uFEFFb');
    for (const live of [false, 'long-poll'] as const) {
      const resumed = await firstValueFrom(readText(stream, { live, from: between }));
      expect(resumed.text).toBe('\uFEFFb');
    }
  });

  describe("'auto' falls back to long-poll", () => {
    it('when a proxy refuses SSE', async () => {
      proxy.intercept = (req, res) => {
        if (!req.url?.includes('live=sse')) return false;
        res.writeHead(501, { 'content-type': 'text/plain' }).end('no SSE here');
        return true;
      };
      const [stream, path] = await jsonStream({ n: 1 });
      const read = record(readJson(stream, { live: 'auto' }));
      await until(() => requestsFor(path).some((q) => q.includes('live=long-poll')), 'the fallback');
      await firstValueFrom(appendJson(stream, { n: 2 }));
      await firstValueFrom(closeStream(stream));
      expect((await read.done).flatMap((b) => b.items)).toEqual([{ n: 1 }, { n: 2 }]);
      expect(requestsFor(path).filter((q) => q.includes('live=sse'))).toHaveLength(1);
    });

    it('when a proxy buffers the SSE response (no first event in time)', async () => {
      proxy.intercept = (req, res) => {
        if (!req.url?.includes('live=sse')) return false;
        res.writeHead(200, { 'content-type': 'text/event-stream' });
        res.flushHeaders();
        return true; // ...and never sends an event
      };
      const [stream, path] = await jsonStream({ n: 1 });
      const read = record(readJson(stream, { live: 'auto', sseFallbackTimeoutMs: 300 }));
      await until(() => requestsFor(path).some((q) => q.includes('live=long-poll')), 'the fallback');
      const buffered = proxy.matching(new RegExp(`/${path}\\?.*live=sse`))[0];
      await until(() => buffered.closedAt !== undefined, 'the buffered SSE request to be abandoned', 5_000);
      await firstValueFrom(appendJson(stream, { n: 2 }));
      await firstValueFrom(closeStream(stream));
      expect((await read.done).flatMap((b) => b.items)).toEqual([{ n: 1 }, { n: 2 }]);
    });
  });

  it('onError refreshes an expired token mid-tail, on the SSE reconnect', async () => {
    let valid = 'Bearer t1';
    proxy.intercept = (req, res) => {
      if (req.method !== 'GET' || req.headers.authorization === valid) return false;
      res.writeHead(401, { 'content-type': 'text/plain' }).end('token expired');
      return true;
    };
    const [stream, path] = await jsonStream({ n: 1 });
    const refreshes: number[] = [];
    const read = record(
      readJson(stream, {
        live: 'sse',
        headers: { authorization: 'Bearer t1' },
        onError: async (error) => {
          if (!(error instanceof UnauthorizedError)) return undefined;
          refreshes.push(error.status);
          return { headers: { authorization: valid } };
        },
      }),
    );
    const sse = new RegExp(`/${path}\\?.*live=sse`);
    await proxy.waitFor(sse);
    await until(() => read.values.length > 0, 'catching up');
    // The token expires, and the server ends the connection (as it does every minute).
    valid = 'Bearer t2';
    expect(proxy.endOpen(sse)).toBe(1);
    // The read reconnects with the old token, is refused, refreshes it, catches up and goes live with the new one.
    await until(() => proxy.matching(sse).some((r) => r.headers.authorization === valid), 'SSE with the new token');
    await sleep(100);
    await firstValueFrom(appendJson(stream, { n: 2 }, { headers: { authorization: valid } }));
    await firstValueFrom(closeStream(stream, { headers: { authorization: valid } }));
    expect((await read.done).flatMap((b) => b.items)).toEqual([{ n: 1 }, { n: 2 }]);
    expect(refreshes).toEqual([401]);
    // Every request before the refusal carried the old token, every one after it the new one.
    const gets = proxy.requests
      .filter((r) => r.method === 'GET' && r.url.includes(`/${path}?`))
      .map((r) => r.headers.authorization);
    const firstNew = gets.indexOf('Bearer t2');
    expect(gets.slice(0, firstNew).every((token) => token === 'Bearer t1')).toBe(true);
    expect(gets.slice(firstNew).every((token) => token === 'Bearer t2')).toBe(true);
    expect(gets.filter((token) => token === 'Bearer t1').length).toBeGreaterThanOrEqual(3); // catch-up, SSE, the refused reconnect
  });

  it('a 503 injected by the server is retried transparently', async () => {
    const [stream, path] = await jsonStream({ n: 1 });
    await injectFault(`/v1/stream/${path}`, { status: 503, count: 1, method: 'GET' });
    expect(await lastValueFrom(readJson(stream, { live: false }).pipe(collectItems()))).toEqual([{ n: 1 }]);
    expect(requestsFor(path)).toEqual(['offset=-1', 'offset=-1']);
  });

  describe('several components on one read', () => {
    it('share(): every subscriber sees the same batches from one set of requests', async () => {
      const [stream, path] = await jsonStream({ n: 1 }, { n: 2 });
      const shared = readJson<{ n: number }>(stream, { live: 'long-poll' }).pipe(share());
      const count = firstValueFrom(shared.pipe(items(), take(3), toArray()));
      const sum = firstValueFrom(
        shared.pipe(
          items(),
          scan((total, v) => total + v.n, 0),
          filter((total) => total === 6),
        ),
      );
      await until(() => requestsFor(path).some((q) => q.includes('live=long-poll')), 'the tail');
      await firstValueFrom(appendJson(stream, { n: 3 }));
      expect(await count).toEqual([{ n: 1 }, { n: 2 }, { n: 3 }]);
      expect(await sum).toBe(6);
      // Both consumers, one read: a single catch-up request.
      expect(requestsFor(path).filter((q) => !q.includes('live='))).toHaveLength(1);
    });

    it('shareReplay({ bufferSize: 1, refCount: true }): a late subscriber gets the latest batch at once', async () => {
      const [stream, path] = await jsonStream({ n: 1 });
      const latest = readJson<{ n: number }>(stream, { live: 'long-poll' }).pipe(
        shareReplay({ bufferSize: 1, refCount: true }),
      );
      const first = latest.subscribe();
      await until(() => requestsFor(path).length > 0, 'the first request');
      const late: JsonBatch<{ n: number }> = await firstValueFrom(latest);
      expect(late.items).toEqual([{ n: 1 }]);
      expect(requestsFor(path).filter((q) => !q.includes('live='))).toHaveLength(1);
      const tail = await proxy.waitFor(new RegExp(`/${path}\\?.*live=long-poll`));
      first.unsubscribe();
      // refCount: with no subscriber left, the read stops: its held long-poll is aborted.
      await until(() => tail.closedAt !== undefined, 'the tail to stop', 5_000);
      expect(tail.aborted).toBe(true);
    });
  });

  it('for await with eachValueFrom: consume batches as an async iterable', async () => {
    const [stream] = await jsonStream({ n: 1 }, { n: 2 });
    await firstValueFrom(closeStream(stream));
    const seen: unknown[] = [];
    for await (const batch of eachValueFrom(readJson(stream, { live: 'auto' }))) seen.push(...batch.items);
    expect(seen).toEqual([{ n: 1 }, { n: 2 }]);
  });

  it('collectText reads a text stream up to the tail, even from a live read', async () => {
    const path = uniquePath('text');
    const stream = client.stream(path, { contentType: 'text/plain' });
    await firstValueFrom(createStream(stream, { contentType: 'text/plain' }));
    await firstValueFrom(append(stream, 'hello '));
    await firstValueFrom(append(stream, 'world'));
    expect(await lastValueFrom(readText(stream, { live: 'auto' }).pipe(collectText()))).toBe('hello world');
  });

  it('takeWhile on checkpoints: stop a live read at a known offset', async () => {
    const [stream] = await jsonStream({ n: 1 });
    const head = await firstValueFrom(headStream(stream));
    const upTo = await lastValueFrom(
      readJson(stream, { live: 'auto' }).pipe(
        takeWhile((b) => b.offset < head.nextOffset, true),
        map((b) => b.offset),
      ),
    );
    expect(upTo).toBe(head.nextOffset);
  });
});
