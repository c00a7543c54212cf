/**
 * What a confirmed mutate() costs, counted where it counts: at the reference
 * server (through a proxy in front of it that records them). One append per
 * mutation; the confirmation comes from the store's shared read, which
 * issues no request of its own for it (SSE: none at all; long-poll: only the
 * read's next poll after each batch, as without mutations).
 */
import { filter, firstValueFrom, lastValueFrom } from 'rxjs';
import { createStream, type DurableStreamsClient } from '../../lib/index';
import { createStateSchema, stateStore } from '../../lib/state/index';
import { undiciTransport } from '../../lib/transport/undici/undici-transport';
import { startHoldingProxy, type HoldingProxy } from '../support/holding-proxy';
import { realClient, serverUrl, uniquePath } from '../support/real-server';
import { sleep } from '../support/until';

const schema = createStateSchema({ todos: { type: 'todo', primaryKey: 'id' } });
/** A store of the schema (its entities untyped: the schema has no Standard Schema). */
type Store = ReturnType<typeof stateStore<typeof schema>>;

const transport = undiciTransport();
let proxy: HoldingProxy;
let client: DurableStreamsClient;

beforeAll(async () => {
  proxy = await startHoldingProxy(serverUrl());
  client = realClient(transport, { baseUrl: `${proxy.origin}/v1/stream` });
});
afterAll(async () => {
  await proxy.close();
  await transport.close();
});
/** A store on a new stream, live, once it is live; the server's record of requests cleared. */
async function liveStore(live: 'sse' | 'long-poll') {
  const path = uniquePath('state-requests');
  const stream = client.stream(path);
  await firstValueFrom(createStream(stream, { contentType: 'application/json' }));
  const store: Store = stateStore(stream, schema, { live });
  const subscription = store.state$.subscribe({ error: () => undefined });
  const stop = () => (subscription.unsubscribe(), store.close());
  await firstValueFrom(store.state$.pipe(filter((view) => view.status === 'live')));
  // Caught up, the read opens its live request: counted from when it is open.
  while (!proxy.requests.some(({ url }) => url.includes(`live=${live}`))) await sleep(10);
  proxy.clearRequests();
  return { store, path, stop };
}

/** Five mutations, one after the other, each awaited until confirmed. */
async function mutateFiveTimes(store: Store): Promise<void> {
  for (let i = 0; i < 5; i += 1)
    await lastValueFrom(store.mutate((tx) => tx.todos.upsert({ id: `t${i % 2}`, title: `edit ${i}` })));
}

describe('a confirmed mutate(), counted at the server', () => {
  it('over SSE: one append per mutation and not one read request', async () => {
    const { store, path, stop } = await liveStore('sse');
    try {
      await mutateFiveTimes(store);
      const seen = proxy.requests.map(({ method, url }) => `${method} ${url}`);
      expect(seen).toEqual(Array.from({ length: 5 }, () => `POST /v1/stream/${path}`));
    } finally {
      stop();
    }
  });

  it("over long-poll: one append per mutation, and no read beyond the shared read's next poll", async () => {
    const { store, stop } = await liveStore('long-poll');
    try {
      await mutateFiveTimes(store);
      expect(proxy.requests.filter(({ method }) => method === 'POST')).toHaveLength(5);
      const reads = proxy.requests.filter(({ method }) => method === 'GET').map(({ url }) => new URL(url, 'http://x'));
      // Each append answers the poll held at the time; the read then polls again, from where it stands.
      expect(reads.length).toBeLessThanOrEqual(5);
      expect(reads.every((url) => url.searchParams.get('live') === 'long-poll')).toBe(true);
      expect(new Set(reads.map((url) => url.searchParams.get('offset'))).size).toBe(reads.length);
    } finally {
      stop();
    }
  });
});
