/**
 * tabProducer() across simulated tabs of one browser, on the reference
 * server: each tab is its own realm (the SDK's modules loaded afresh, its
 * own session storage and window), the tabs share IndexedDB
 * (fake-indexeddb), Web Locks (FakeLocks), BroadcastChannel (Node's) and
 * the network, which a cuttable proxy can take away. What is checked is what
 * the server stores: each value once, in order, and which producer id wrote
 * each batch. Real tabs, reloads and a closed tab in Chromium:
 * e2e/compose-outbox.e2e.ts.
 */
import { firstValueFrom, lastValueFrom } from 'rxjs';
import * as shared from '../../../lib/index';
import type { IdempotentProducer, ProducerStatus, TabProducerOptions } from '../../../lib/index';
import { FakeLocks, fakeNavigatorPerTest } from '../../read/cross-tab/support/fake-tabs';
import { startCuttableProxy, type CuttableProxy } from '../../support/cuttable-proxy';
import { serverUrl, uniquePath } from '../../support/real-server';
import { until } from '../../support/until';
import { outboxNames as outboxesIn } from '../../../lib/produce/outbox/indexed-db/outbox-catalog';
import { fakeIndexedDbPerTest } from './support/fake-indexed-db';

fakeIndexedDbPerTest();
const navigator = fakeNavigatorPerTest();

/** One tab's session storage; `copy()` is what the browser gives a duplicated tab. */
class TabSession {
  constructor(readonly items = new Map<string, string>()) {}
  getItem(key: string): string | null {
    return this.items.get(key) ?? null;
  }
  setItem(key: string, value: string): void {
    this.items.set(key, value);
  }
  copy(): TabSession {
    return new TabSession(new Map(this.items));
  }
}

/** A POST the server was sent, by whom. */
interface Sent {
  readonly producerId: string;
  readonly epoch: number;
  readonly seq: number;
}

/** One document of a tab: a realm of its own with the SDK, a client through the proxy, and its producers. */
class Tab {
  readonly sent: Sent[] = [];
  readonly errors: shared.DurableStreamError[] = [];
  private readonly window = new EventTarget();
  private readonly sdk: typeof shared;
  private readonly client: shared.DurableStreamsClient;
  private readonly producers: IdempotentProducer[] = [];

  /**
   * A new document: the SDK and its producers' running code (a lazy chunk) loaded in a module registry of its own, as
   * a page loads them (a chunk imported later would otherwise come from the spec's registry, with other classes).
   */
  static async open(storage: TabSession, origin: string): Promise<Tab> {
    let sdk!: typeof shared;
    await jest.isolateModulesAsync(async () => {
      sdk = require('../../../lib/index') as typeof shared;
      const { producerCodeLoaded } =
        require('../../support/producer-code') as typeof import('../../support/producer-code');
      await producerCodeLoaded();
    });
    return new Tab(storage, origin, sdk);
  }

  private constructor(
    readonly storage: TabSession,
    origin: string,
    sdk: typeof shared,
  ) {
    this.sdk = sdk;
    this.client = new sdk.DurableStreamsClient({
      baseUrl: `${origin}/v1/stream`,
      transport: sdk.fetchTransport(),
      retry: { initialDelayMs: 20, maxDelayMs: 100 },
      interceptors: [
        (request, next) => {
          const id = request.headers['producer-id'];
          if (request.method === 'POST' && id)
            this.sent.push({
              producerId: id,
              epoch: Number(request.headers['producer-epoch']),
              seq: Number(request.headers['producer-seq']),
            });
          return next(request);
        },
      ],
    });
  }

  /** A tab producer on `path`, as this document makes it (its session storage and window as the page's). */
  producer(path: string, options: TabProducerOptions = {}): IdempotentProducer {
    const globals = globalThis as { sessionStorage?: unknown; window?: unknown };
    const before = { sessionStorage: globals.sessionStorage, window: globals.window };
    Object.assign(globals, { sessionStorage: this.storage, window: this.window });
    try {
      const producer = this.sdk.tabProducer(this.client.stream(path), 'compose', {
        contentType: 'application/json',
        lingerMs: 0,
        onError: (error) => this.errors.push(error),
        ...options,
      });
      this.producers.push(producer);
      return producer;
    } finally {
      Object.assign(globals, before);
    }
  }

  /** The document goes away as on a reload or a closed tab: `pagehide`, and whatever ran in it stops. */
  async leave(pagehide = true): Promise<void> {
    if (pagehide) this.window.dispatchEvent(new Event('pagehide'));
    for (const producer of this.producers.splice(0)) producer.abort();
    await settle();
  }
}

/** Lets the aborted producers' sessions close and their locks go (as the browser does for a document that went). */
const settle = () => new Promise((resolve) => setTimeout(resolve, 50));

const statusOf = (producer: IdempotentProducer): Promise<ProducerStatus> => firstValueFrom(producer.status$);

let proxy: CuttableProxy;
let writer: shared.DurableStreamsClient;

beforeAll(async () => {
  proxy = await startCuttableProxy(serverUrl());
  writer = new shared.DurableStreamsClient({ baseUrl: `${serverUrl()}/v1/stream`, transport: shared.fetchTransport() });
});
afterAll(() => proxy.close());
beforeEach(() => navigator.setLocks(new FakeLocks()));
afterEach(() => proxy.restore());

async function newStream(): Promise<string> {
  const path = uniquePath('tab-producer');
  await firstValueFrom(shared.createStream(writer.stream(path), { contentType: 'application/json' }));
  return path;
}

const stored = (path: string): Promise<unknown[]> =>
  firstValueFrom(shared.readJson(writer.stream(path), { live: false }).pipe(shared.collectItems()));

const values = (prefix: string, count: number) => Array.from({ length: count }, (_, i) => `${prefix} ${i}`);

describe('tabProducer() across tabs', () => {
  it('a reload keeps the tab’s producer id: what it saved offline goes first, then its new values, each once', async () => {
    const path = await newStream();
    const storage = new TabSession();
    const first = await Tab.open(storage, proxy.origin);
    await proxy.cut();
    const producer = first.producer(path);
    for (const value of values('before', 5)) producer.append(value);
    await lastValueFrom(producer.saved());
    expect(await statusOf(producer)).toMatchObject({ pending: 5, saved: 5 });
    await first.leave();

    await proxy.restore();
    const reloaded = await Tab.open(storage, proxy.origin);
    const again = reloaded.producer(path);
    expect(again.producerId).toBe(producer.producerId);
    for (const value of values('after', 3)) again.append(value);
    await lastValueFrom(again.flush());
    await until(async () => (await statusOf(again)).state === 'delivered', 'everything delivered');
    expect(await stored(path)).toEqual([...values('before', 5), ...values('after', 3)]);
    expect(new Set(reloaded.sent.map(({ producerId }) => producerId))).toEqual(new Set([producer.producerId]));
    expect(reloaded.errors).toEqual([]);
  });

  it('a closed tab’s outbox is delivered by the next tab, under the closed tab’s id and seqs, once, in order, then removed', async () => {
    const path = await newStream();
    const closed = await Tab.open(new TabSession(), proxy.origin);
    await proxy.cut();
    const gone = closed.producer(path);
    for (const value of values('closed', 4)) gone.append(value);
    await lastValueFrom(gone.saved());
    await closed.leave();
    await proxy.restore();

    const next = await Tab.open(new TabSession(), proxy.origin);
    const own = next.producer(path);
    expect(own.producerId).not.toBe(gone.producerId);
    own.append('own');
    await lastValueFrom(own.flush());
    await until(async () => (await stored(path)).length === 5, 'the closed tab’s values too');
    const all = await stored(path);
    expect(all.filter((value) => value !== 'own')).toEqual(values('closed', 4));
    const adopted = next.sent.filter(({ producerId }) => producerId === gone.producerId);
    expect(adopted.length).toBeGreaterThan(0);
    expect(adopted[0]).toMatchObject({ seq: 0 });
    // Emptied and removed: a third tab finds nothing to deliver.
    await until(
      async () => (await outboxNames()).every((name) => !name.endsWith(gone.producerId)),
      'the emptied outbox removed',
    );
    const third = await Tab.open(new TabSession(), proxy.origin);
    third.producer(path);
    await settle();
    expect(third.sent).toEqual([]);
    expect(next.errors).toEqual([]);
  });

  it('two tabs appending at once (one a copy of the other’s session) write with ids of their own and never fence each other', async () => {
    const path = await newStream();
    const storage = new TabSession();
    const one = await Tab.open(storage, proxy.origin);
    const first = one.producer(path);
    const two = await Tab.open(storage.copy(), proxy.origin);
    const second = two.producer(path);
    expect(second.producerId).not.toBe(first.producerId);
    for (let i = 0; i < 50; i++) {
      first.append(`one ${i}`);
      second.append(`two ${i}`);
    }
    await Promise.all([lastValueFrom(first.flush()), lastValueFrom(second.flush())]);
    const all = (await stored(path)) as string[];
    expect(all.filter((value) => value.startsWith('one'))).toEqual(values('one', 50));
    expect(all.filter((value) => value.startsWith('two'))).toEqual(values('two', 50));
    expect([...one.errors, ...two.errors]).toEqual([]);
  });

  it('a closed tab that comes back takes its outbox back from the tab delivering it; nothing is lost or stored twice', async () => {
    const path = await newStream();
    const storage = new TabSession();
    const closed = await Tab.open(storage, proxy.origin);
    await proxy.cut();
    const gone = closed.producer(path);
    for (const value of values('mine', 3)) gone.append(value);
    await lastValueFrom(gone.saved());
    await closed.leave();

    // Another tab takes the orphan and tries to deliver it while the server is away.
    const other = await Tab.open(new TabSession(), proxy.origin);
    other.producer(path);
    await until(
      () => other.sent.some(({ producerId }) => producerId === gone.producerId),
      'the orphan being delivered',
    );

    // The closed tab is restored: it claims its outbox, the other tab lets go.
    const restored = await Tab.open(storage, proxy.origin);
    const back = restored.producer(path);
    expect(back.producerId).toBe(gone.producerId);
    back.append('mine again');
    await lastValueFrom(back.saved());
    expect(await statusOf(back)).toMatchObject({ pending: 4 });
    await proxy.restore();
    await lastValueFrom(back.flush());
    expect(await stored(path)).toEqual([...values('mine', 3), 'mine again']);
    expect(restored.errors).toEqual([]);
  });

  it('leaves the outbox of a closed tab on another stream for a producer on that stream', async () => {
    const [path, elsewhere] = [await newStream(), await newStream()];
    const closed = await Tab.open(new TabSession(), proxy.origin);
    await proxy.cut();
    const gone = closed.producer(elsewhere);
    gone.append('elsewhere');
    await lastValueFrom(gone.saved());
    await closed.leave();
    await proxy.restore();

    const next = await Tab.open(new TabSession(), proxy.origin);
    next.producer(path).append('here');
    await until(async () => (await stored(path)).length === 1, 'its own value');
    await settle();
    expect(next.sent.filter(({ producerId }) => producerId === gone.producerId)).toEqual([]);
    expect(await stored(elsewhere)).toEqual([]);

    const there = await Tab.open(new TabSession(), proxy.origin);
    there.producer(elsewhere);
    await until(async () => (await stored(elsewhere)).length === 1, 'delivered by a producer on its stream');
  });

  it('without Web Locks, writes with an id of its own per tab and leaves closed tabs’ outboxes alone', async () => {
    navigator.setLocks(undefined as never);
    const path = await newStream();
    const closed = await Tab.open(new TabSession(), proxy.origin);
    await proxy.cut();
    const gone = closed.producer(path);
    gone.append('kept for its tab');
    await lastValueFrom(gone.saved());
    await closed.leave();
    await proxy.restore();

    const next = await Tab.open(new TabSession(), proxy.origin);
    const own = next.producer(path);
    own.append('own');
    await lastValueFrom(own.flush());
    await settle();
    expect(await stored(path)).toEqual(['own']);
    expect(next.sent.every(({ producerId }) => producerId === own.producerId)).toBe(true);
  });
});

/** The outboxes the app's database holds. */
function outboxNames(): Promise<string[]> {
  return outboxesIn('durable-streams-rx', '');
}
