import { firstValueFrom, type Subscription } from 'rxjs';
import { appendJson, createStream, DurableStreamsClient, headStream, readJson } from '../../lib/index';
import { fetchTransport } from '../../lib/transport/fetch/fetch-transport';
import { startWatchedServer, type WatchedServer } from '../support/watched-server';
import { fakeNavigatorPerTest, FakeLocks } from './cross-tab/support/fake-tabs';
import { until } from '../support/until';

jest.setTimeout(60_000);

// The module reads load on demand (a lazy chunk in an app's bundle), here as a chunk that fails to load.
const mockLoads = { count: 0 };
jest.mock('../../lib/read/tabs-and-budget', () => {
  mockLoads.count += 1;
  throw new Error('Failed to fetch dynamically imported module');
});

/**
 * Cross-tab tails and the live-request budget are loaded by a read only
 * when it needs them (lib/read/tabs-and-budget.ts; the size spec checks the
 * bundle, e2e/many-reads.e2e.ts the chunk in Chromium). Where they are not
 * needed, nothing is loaded; where the load fails, the read goes on as where
 * the platform has neither: its own tail, unbudgeted.
 */
describe('the cross-tab and budget code, loaded on demand', () => {
  let server: WatchedServer;
  const subscriptions: Subscription[] = [];
  let counter = 0;
  const platform = fakeNavigatorPerTest();

  beforeAll(async () => {
    server = await startWatchedServer(30_000);
  });
  afterEach(() => {
    subscriptions.splice(0).forEach((s) => s.unsubscribe());
  });
  afterAll(async () => {
    await server.close();
  });

  const client = (options: { liveRequestBudget?: number } = {}) =>
    new DurableStreamsClient({
      baseUrl: server.base,
      transport: fetchTransport(),
      retry: { initialDelayMs: 5, maxDelayMs: 50 },
      ...options,
    });

  async function readers(clients: DurableStreamsClient[]) {
    const path = `lazy-${counter++}`;
    const writer = client().stream(path);
    await firstValueFrom(createStream(writer, { contentType: 'application/json' }));
    const start = (await firstValueFrom(headStream(writer))).nextOffset;
    const received = clients.map((reader) => {
      const items: number[] = [];
      subscriptions.push(
        readJson<number>(reader.stream(path), { live: 'long-poll', from: start }).subscribe((batch) =>
          items.push(...batch.items),
        ),
      );
      return items;
    });
    return { path, writer, received };
  }

  it('is never loaded on Node without Web Locks and without a numeric budget', async () => {
    const { writer, received } = await readers([client(), client()]);
    for (let n = 0; n < 3; n++) await firstValueFrom(appendJson(writer, n));
    await until(
      () => received.every((items) => items.length === 3),
      () => `every reader to have 3 (${received.map((items) => items.length).join(',')})`,
    );
    expect(mockLoads.count).toBe(0);
  });

  it('when it fails to load, each tab reads on its own, unbudgeted, and every reader gets every message', async () => {
    platform.setLocks(new FakeLocks());
    const warn = jest.spyOn(console, 'warn').mockImplementation(() => undefined);
    try {
      // Two "tabs" that would share one tail, with a budget of one live request that would make one of them poll.
      const { path, writer, received } = await readers([
        client({ liveRequestBudget: 1 }),
        client({ liveRequestBudget: 1 }),
      ]);
      await until(
        async () => (await server.counts(path)).openLive === 2,
        async () => `a live request per tab (${JSON.stringify(await server.counts(path))})`,
      );
      for (let n = 0; n < 5; n++) await firstValueFrom(appendJson(writer, n));
      await until(
        () => received.every((items) => items.length === 5),
        () => `every reader to have 5 (${received.map((items) => items.length).join(',')})`,
      );
      expect(received).toEqual([
        [0, 1, 2, 3, 4],
        [0, 1, 2, 3, 4],
      ]);
      expect(mockLoads.count).toBeGreaterThan(0);
      expect(warn).not.toHaveBeenCalled();
    } finally {
      warn.mockRestore();
    }
  });
});
