import { firstValueFrom, lastValueFrom, toArray, type Subscription } from 'rxjs';
import {
  appendJson,
  closeStream,
  createStream,
  DurableStreamsClient,
  headStream,
  readJson,
  SseUnavailableError,
  type LiveMode,
} from '../../lib/index';
import { streamContextOf } from '../../lib/http/stream-handle';
import { readJsonSettled } from '../../lib/read/read-stream';
import { fetchTransport } from '../../lib/transport/fetch/fetch-transport';
import { until } from '../support/until';
import { startWatchedServer, type WatchedServer } from '../support/watched-server';

jest.setTimeout(60_000);

// The code of live reads loads on demand (a lazy chunk in an app's bundle), here as a chunk that fails to load.
const mockLoads = { count: 0 };
jest.mock('../../lib/read/live-code', () => {
  mockLoads.count += 1;
  throw new Error('Failed to fetch dynamically imported module');
});

/**
 * SSE connections, shared tails, the silence bound and the live-request
 * budget are code a live read loads while it catches up (lib/read/live-code.ts;
 * the size spec checks it is a lazy chunk). Where the load fails (a
 * deployment replaced the app's chunks), a live read goes on alone with
 * long-polls of its own: every message once, in order; a read that asks for
 * SSE and nothing else fails with a typed error instead of waiting.
 */
describe('the code of live reads, when it fails to load', () => {
  let server: WatchedServer;
  const subscriptions: Subscription[] = [];
  let counter = 0;

  beforeAll(async () => {
    server = await startWatchedServer(30_000);
  });
  afterEach(() => {
    subscriptions.splice(0).forEach((s) => s.unsubscribe());
  });
  afterAll(async () => {
    await server.close();
  });

  const client = () =>
    new DurableStreamsClient({
      baseUrl: server.base,
      transport: fetchTransport(),
      retry: { initialDelayMs: 5, maxDelayMs: 50 },
    });

  async function stream(items: readonly number[]) {
    const path = `live-code-${counter++}`;
    const writer = client().stream(path);
    await firstValueFrom(createStream(writer, { contentType: 'application/json' }));
    for (const item of items) await firstValueFrom(appendJson(writer, item));
    return { path, writer };
  }

  it.each<LiveMode>(['auto', 'long-poll'])(
    "live '%s': catches up, then long-polls alone, every message once and in order",
    async (live) => {
      const { path, writer } = await stream([0, 1]);
      const reader = client();
      const received: number[][] = [[], []];
      for (const items of received)
        subscriptions.push(
          readJson<number>(reader.stream(path), { live }).subscribe((batch) => items.push(...batch.items)),
        );
      await until(
        () => received.every((items) => items.length === 2),
        () => `the catch-up (${received.map((items) => items.length).join()})`,
      );
      for (let n = 2; n < 6; n++) await firstValueFrom(appendJson(writer, n));
      await until(
        () => received.every((items) => items.length === 6),
        () => `every reader to have 6 (${received.map((items) => items.length).join()})`,
      );
      expect(received).toEqual([
        [0, 1, 2, 3, 4, 5],
        [0, 1, 2, 3, 4, 5],
      ]);
      // Alone: each read holds a live request of its own (no shared tail).
      expect((await server.counts(path)).openLive).toBe(2);
      expect(mockLoads.count).toBeGreaterThan(0);
    },
  );

  it('a read that settles its steps reads on alone too', async () => {
    const { path, writer } = await stream([0]);
    const items: number[] = [];
    const settled = readJsonSettled<number>(streamContextOf(client().stream(path)), { live: 'long-poll' }, () =>
      Promise.resolve(),
    );
    subscriptions.push(settled.subscribe((batch) => items.push(...batch.items)));
    await firstValueFrom(appendJson(writer, 1));
    await until(
      () => items.length === 2,
      () => `the live append (${JSON.stringify(items)})`,
    );
    expect(items).toEqual([0, 1]);
  });

  it("live 'sse' fails with SseUnavailableError (not-loaded, not retryable) instead of waiting", async () => {
    const { path } = await stream([0, 1]);
    const items: number[] = [];
    const error = await new Promise<unknown>((resolve) =>
      subscriptions.push(
        readJson<number>(client().stream(path), { live: 'sse' }).subscribe({
          next: (batch) => items.push(...batch.items),
          error: resolve,
        }),
      ),
    );
    expect(items).toEqual([0, 1]);
    expect(error).toBeInstanceOf(SseUnavailableError);
    expect(error).toMatchObject({ reason: 'not-loaded', isRetryable: false });
  });

  it('a read that stops when up to date never asks for it', async () => {
    const { path, writer } = await stream([0, 1]);
    await firstValueFrom(closeStream(writer));
    const before = mockLoads.count;
    const reader = client();
    const batches = await lastValueFrom(readJson<number>(reader.stream(path), { live: false }).pipe(toArray()));
    expect(batches.flatMap((batch) => batch.items)).toEqual([0, 1]);
    expect((await firstValueFrom(headStream(reader.stream(path)))).closed).toBe(true);
    expect(mockLoads.count).toBe(before);
  });
});
