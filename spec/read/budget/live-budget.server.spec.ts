import { firstValueFrom, type Subscription } from 'rxjs';
import { DurableStreamsClient, appendJson, createStream, headStream, readJson } from '../../../lib/index';
import { fetchTransport } from '../../../lib/transport/fetch/fetch-transport';
import { startWatchedServer, type WatchedServer } from '../../support/watched-server';
import { sleep, until } from '../../support/until';

jest.setTimeout(60_000);

/**
 * Issue #13, item 4, in Node with the budget set by the option (in a page,
 * HTTP/1.1 sets it; e2e/many-reads.e2e.ts proves that in Chromium): live
 * requests stay within it, readers beyond it still receive, one warning.
 */
describe('a live-request budget (liveRequestBudget)', () => {
  let server: WatchedServer;
  const subscriptions: Subscription[] = [];
  let warn: jest.SpyInstance<void, Parameters<typeof console.warn>>;

  beforeAll(async () => {
    server = await startWatchedServer(1_000);
  });
  beforeEach(() => {
    warn = jest.spyOn(console, 'warn').mockImplementation(() => undefined);
  });
  afterEach(() => {
    subscriptions.splice(0).forEach((s) => s.unsubscribe());
    warn.mockRestore();
  });
  afterAll(async () => {
    await server.close();
  });

  // One budget, and one warning, per origin and size in a process: each case its own size.
  it.each([
    ['sse', 2],
    ['auto', 3],
    ['long-poll', 4],
  ] as const)(
    "keeps 8 '%s' readers of 8 streams within a budget of %d live requests; every reader receives; one warning",
    async (live, budget) => {
      const client = new DurableStreamsClient({
        baseUrl: server.base,
        transport: fetchTransport(),
        liveRequestBudget: budget,
        retry: { initialDelayMs: 20, maxDelayMs: 300 },
      });
      const paths = Array.from({ length: 8 }, (_, i) => `budget-${live}-${i}`);
      await Promise.all(
        paths.map((path) => firstValueFrom(createStream(client.stream(path), { contentType: 'application/json' }))),
      );
      const received = paths.map(() => [] as number[]);
      // A read's first batch comes once its first request was answered: where 'now' is, is known from then on.
      const started = paths.map(() => false);
      paths.forEach((path, i) =>
        subscriptions.push(
          readJson<number>(client.stream(path), { live, from: 'now' }).subscribe((b) => {
            started[i] = true;
            received[i].push(...b.items);
          }),
        ),
      );
      let maxLive = 0;
      let sampling = true;
      const sample = (async () => {
        // Sampled at the server, every 10 ms.
        while (sampling) {
          maxLive = Math.max(maxLive, (await server.counts()).openLive);
          await sleep(10);
        }
      })();
      try {
        // An append before a reader's first request reached the server would come before its 'now'.
        await until(
          () => started.every(Boolean),
          () => `every reader's first batch (${started.filter(Boolean).length} of ${paths.length})`,
        );
        const start = Date.now();
        await firstValueFrom(headStream(client.stream(paths[0])));
        expect(Date.now() - start).toBeLessThan(2_000);
        for (let round = 0; round < 3; round++) {
          await Promise.all(paths.map((path, i) => firstValueFrom(appendJson(client.stream(path), round * 10 + i))));
          await until(
            () => received.every((items) => items.length === round + 1),
            () => `round ${round} to reach every reader (${received.map((r) => r.length).join(',')})`,
          );
        }
      } finally {
        sampling = false;
        await sample;
      }
      expect(received).toEqual(paths.map((_, i) => [i, 10 + i, 20 + i]));
      expect(maxLive).toBeLessThanOrEqual(budget);
      expect(warn).toHaveBeenCalledTimes(1);
      expect(warn.mock.calls[0][0]).toMatch(/HTTP\/1\.1.*HTTP\/2/s);
    },
  );
});
