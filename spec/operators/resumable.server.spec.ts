/**
 * resumable() on the reference server, restarts included: each "run" is a new
 * client over the same storage, as a reloaded page or a restarted process is.
 */
import { firstValueFrom, lastValueFrom, toArray } from 'rxjs';
import {
  appendJson,
  createStream,
  Offset,
  readJson,
  resumable,
  type AsyncKeyValueStore,
  type CheckpointStorage,
  type DurableStream,
  type DurableStreamsClient,
} from '../../lib/index';
import { undiciTransport } from '../../lib/transport/undici/undici-transport';
import { memoryStorage } from '../support/checkpoint-stores';
import { realClient, uniquePath } from '../support/real-server';
import { sleep } from '../support/until';

/** A Map behind the async store interface whose writes land a few ms later; `idle()` waits for them. */
function slowStore(): AsyncKeyValueStore & { idle: () => Promise<void> } {
  const values = new Map<string, string>();
  let writing = Promise.resolve();
  return {
    get: (key) => Promise.resolve(values.get(key)),
    set: (key, value) =>
      (writing = new Promise<void>((resolve) => setTimeout(resolve, 20)).then(() => void values.set(key, value))),
    idle: () => writing,
  };
}

interface Order {
  readonly id: number;
  readonly amount: number;
}

describe('resumable() on the reference server', () => {
  const transports: Array<ReturnType<typeof undiciTransport>> = [];
  /** A new client, as after a restart. */
  const restart = (): DurableStreamsClient => {
    const transport = undiciTransport();
    transports.push(transport);
    return realClient(transport);
  };
  afterAll(async () => {
    await Promise.all(transports.map((transport) => transport.close()));
  });

  const jsonStream = async (client: DurableStreamsClient, values: unknown[]): Promise<string> => {
    const path = uniquePath('resumable');
    const handle = client.stream(path);
    await firstValueFrom(createStream(handle, { contentType: 'application/json' }));
    for (const value of values) await firstValueFrom(appendJson(handle, value));
    return path;
  };

  it.each<[string, () => CheckpointStorage & { idle?: () => Promise<void> }]>([
    ['localStorage-like storage', () => memoryStorage()],
    ['async store', () => slowStore()],
  ])(
    'take(1) saves the batch it took (%s): after a restart only what follows is delivered',
    async (_what, makeStorage) => {
      const storage = makeStorage();
      const path = await jsonStream(restart(), [1, 2]);
      const read = (stream: DurableStream) =>
        resumable((from) => readJson<number>(stream, { from, live: false }), { storage, key: path });

      const first = await firstValueFrom(read(restart().stream(path)));
      expect(first.items).toEqual([1, 2]);
      await storage.idle?.();

      const client = restart();
      await firstValueFrom(appendJson(client.stream(path), 3));
      const second = await lastValueFrom(read(client.stream(path)).pipe(toArray()));
      // Before issue #22's fix: [1, 2, 3], the batch taken by take(1) handed over a second time.
      expect(second.flatMap((batch) => batch.items)).toEqual([3]);
    },
  );

  it('keeps the app state with the checkpoint: each order counted once across five restarts', async () => {
    const storage = memoryStorage();
    const path = await jsonStream(restart(), []);
    const totals = { initial: { orders: 0, amount: 0 }, reduce: addOrders };
    const seenPerRun: number[][] = [];
    let last = totals.initial;
    for (let run = 0; run < 5; run++) {
      const client = restart();
      const stream = client.stream(path);
      for (let i = 0; i < 10; i++) {
        const id = run * 10 + i;
        await firstValueFrom(appendJson(stream, { id, amount: id + 1 } satisfies Order));
      }
      // The app leaves after its first batch, every time.
      const { batch, state } = await firstValueFrom(
        resumable((from) => readJson<Order>(stream, { from, live: false }), { storage, key: path, state: totals }),
      );
      seenPerRun.push(batch.items.map((order) => order.id));
      last = state;
    }
    expect(seenPerRun).toEqual([0, 1, 2, 3, 4].map((run) => Array.from({ length: 10 }, (_, i) => run * 10 + i)));
    expect(last).toEqual({ orders: 50, amount: (50 * 51) / 2 });
    const saved = JSON.parse(storage.data.get(path)!) as { offset: string; state: unknown };
    expect(saved.state).toEqual(last);
    // The saved position is the stream's tail: reading from it gives nothing more.
    const rest = await lastValueFrom(
      readJson(restart().stream(path), { from: saved.offset, live: false }).pipe(toArray()),
    );
    expect(rest.flatMap((batch) => batch.items)).toEqual([]);
  });

  it('from: Offset.now starts the first run at the tail; the next run resumes where the first stopped', async () => {
    const storage = memoryStorage();
    const client = restart();
    const path = await jsonStream(client, ['old']);
    const stream = client.stream(path);
    const first = firstValueFrom(
      resumable((from) => readJson<string>(stream, { from, live: 'long-poll' }), {
        storage,
        key: path,
        from: Offset.now,
      }),
    );
    // A long-poll at the tail waits; the append is what it delivers.
    await sleep(200);
    await firstValueFrom(appendJson(stream, 'new'));
    expect((await first).items).toEqual(['new']);
    await firstValueFrom(appendJson(stream, 'newer'));
    const second = await firstValueFrom(
      resumable((from) => readJson<string>(restart().stream(path), { from, live: false }), {
        storage,
        key: path,
        from: Offset.now,
      }),
    );
    expect(second.items).toEqual(['newer']);
  });
});

function addOrders(
  totals: { readonly orders: number; readonly amount: number },
  batch: { readonly items: readonly Order[] },
) {
  return {
    orders: totals.orders + batch.items.length,
    amount: totals.amount + batch.items.reduce((sum, order) => sum + order.amount, 0),
  };
}
