import { firstValueFrom, type Subscription } from 'rxjs';
import {
  DurableStreamsClient,
  type DurableStream,
  appendJson,
  closeStream,
  createStream,
  headStream,
  readJson,
} from '../../../lib/index';
import { fetchTransport } from '../../../lib/transport/fetch/fetch-transport';
import { startWatchedServer, type WatchedServer } from '../../support/watched-server';
import { fakeNavigatorPerTest, FakeLocks } from './support/fake-tabs';
import { until } from '../../support/until';
import { range } from '../../support/range';

jest.setTimeout(60_000);

/**
 * Issue #13, item 3, in Node: each client stands for a tab (its own tail
 * registry), Node's BroadcastChannel carries messages between them and the
 * Web Locks are faked in memory. The real thing runs in e2e/ in Chromium.
 */
describe('sharing a tail across tabs (clients standing for tabs)', () => {
  let server: WatchedServer;
  let locks: FakeLocks;
  const subscriptions: Subscription[] = [];
  let counter = 0;
  const platform = fakeNavigatorPerTest();

  beforeAll(async () => {
    server = await startWatchedServer(30_000);
  });
  beforeEach(() => {
    locks = new FakeLocks();
    platform.setLocks(locks);
  });
  afterEach(() => {
    subscriptions.splice(0).forEach((s) => s.unsubscribe());
  });
  afterAll(async () => {
    await server.close();
  });

  const tab = (options: { shareAcrossTabs?: boolean } = {}) =>
    new DurableStreamsClient({
      baseUrl: server.base,
      transport: fetchTransport(),
      retry: { initialDelayMs: 5, maxDelayMs: 50 },
      ...options,
    });

  async function jsonStream(): Promise<{ path: string; writer: DurableStream; start: string }> {
    const path = `tabs-${counter++}`;
    const writer = tab().stream(path);
    await firstValueFrom(createStream(writer, { contentType: 'application/json' }));
    return { path, writer, start: (await firstValueFrom(headStream(writer))).nextOffset };
  }

  function read(client: DurableStreamsClient, path: string, start: string) {
    const items: number[] = [];
    const state = { items, done: false, subscription: undefined as unknown as Subscription };
    state.subscription = readJson<number>(client.stream(path), { live: 'sse', from: start }).subscribe({
      next: (b) => items.push(...b.items),
      complete: () => (state.done = true),
    });
    subscriptions.push(state.subscription);
    return state;
  }

  it('keeps one live request for the stream across tabs, and hands it over without a gap or a duplicate when the holding tab closes', async () => {
    const { path, writer, start } = await jsonStream();
    const tabs = [tab(), tab(), tab(), tab()];
    const readers = tabs.map((client) => [read(client, path, start), read(client, path, start)]);
    await until(
      async () => (await server.counts(path)).openLive === 1,
      async () => `one live request (${JSON.stringify(await server.counts(path))})`,
    );
    for (let n = 0; n < 10; n++) await firstValueFrom(appendJson(writer, n));
    await until(
      () => readers.flat().every((r) => r.items.length === 10),
      () =>
        `every reader to have 10 (${readers
          .flat()
          .map((r) => r.items.length)
          .join(',')})`,
    );
    // The holding tab is the first (it asked first): close it, mid-stream.
    readers[0].forEach((r) => r.subscription.unsubscribe());
    for (let n = 10; n < 20; n++) {
      await firstValueFrom(appendJson(writer, n));
      if (n === 12) readers[1].forEach((r) => r.subscription.unsubscribe());
    }
    await firstValueFrom(closeStream(writer));
    const open = readers.slice(2).flat();
    await until(
      () => open.every((r) => r.done),
      () => 'the open tabs to reach EOF',
    );
    for (const reader of open) expect(reader.items).toEqual(range(0, 20));
    await until(
      async () => (await server.counts(path)).openReads === 0,
      () => 'no read left at the server',
    );
    await until(
      () => locks.held.size === 0 && locks.queue.length === 0,
      () => 'no lock held or queued',
    );
  });

  it('reads with a connection per tab when sharing across tabs is off', async () => {
    const { path, writer, start } = await jsonStream();
    const readers = [tab({ shareAcrossTabs: false }), tab({ shareAcrossTabs: false })].map((client) =>
      read(client, path, start),
    );
    await until(
      async () => (await server.counts(path)).openLive === 2,
      async () => `two live requests (${JSON.stringify(await server.counts(path))})`,
    );
    await firstValueFrom(appendJson(writer, 1));
    await until(
      () => readers.every((r) => r.items.length === 1),
      () => 'both readers to have the message',
    );
    expect(locks.held.size + locks.queue.length).toBe(0);
  });
});
