/**
 * stateStore()'s outbox, against the reference server: a mutation made
 * offline is kept in the outbox; the next store on it (a reload) shows it as
 * pending at start-up, before anything is read, delivers it and confirms
 * it; the stream holds it once.
 */
import { filter, firstValueFrom, lastValueFrom, toArray } from 'rxjs';
import { createStream, memoryOutbox, readJson, type DurableStream } from '../../lib/index';
import { createStateSchema, stateStore, type StateView } from '../../lib/state/index';
import { undiciTransport } from '../../lib/transport/undici/undici-transport';
import { startCuttableProxy, type CuttableProxy } from '../support/cuttable-proxy';
import { realClient, serverUrl, uniquePath } from '../support/real-server';

const schema = createStateSchema({ todos: { type: 'todo', primaryKey: 'id' } });

const transport = undiciTransport();
let proxy: CuttableProxy;
beforeAll(async () => {
  proxy = await startCuttableProxy(serverUrl());
});
afterAll(async () => {
  await proxy.close();
  await transport.close();
});

const online = realClient(transport);
const messagesOf = async (stream: DurableStream) =>
  (await lastValueFrom(readJson(stream, { live: false }).pipe(toArray()))).flatMap((batch) => batch.items);

describe('stateStore() with an outbox', () => {
  it('shows what an earlier store left in the outbox at start-up, delivers it once and confirms it', async () => {
    const path = uniquePath('state-outbox');
    const stream = online.stream(path);
    await firstValueFrom(createStream(stream, { contentType: 'application/json' }));
    const outbox = memoryOutbox();

    // The app reaches the server through a link that goes down. The first store is offline: its mutation is
    // shown, saved, and never reaches the server.
    const app = realClient(transport, { baseUrl: `${proxy.origin}/v1/stream` });
    await proxy.cut();
    const first = stateStore(app.stream(path), schema, { outbox });
    const firstViews: StateView[] = [];
    const watching = first.state$.subscribe({ next: (view) => firstViews.push(view), error: () => undefined });
    first.mutate((tx) => tx.todos.insert({ id: 'a', title: 'written offline' })).subscribe({ error: () => undefined });
    await firstValueFrom(first.state$.pipe(filter((view) => view.pending.length === 1)));
    const { txid } = firstViews[firstViews.length - 1].pending[0];
    watching.unsubscribe();
    first.close();

    // A reload, back online: a new store on the same outbox.
    await proxy.restore();
    const second = stateStore(app.stream(path), schema, { outbox, live: 'sse' });
    const views: StateView[] = [];
    const following = second.state$.subscribe((view) => views.push(view));
    const restored = await firstValueFrom(second.state$.pipe(filter((view) => view.pending.length > 0)));
    expect(restored.pending.map((mutation) => mutation.txid)).toEqual([txid]);
    expect(restored.collections['todos']).toEqual({ a: { id: 'a', title: 'written offline' } });
    expect(restored.checkpoint).toBeUndefined(); // nothing read yet

    const confirmed = await firstValueFrom(
      second.state$.pipe(
        filter((view) => view.upToDate && view.pending.length === 0 && 'a' in view.collections['todos']),
      ),
    );
    expect(confirmed.collections['todos']).toEqual({ a: { id: 'a', title: 'written offline' } });
    following.unsubscribe();
    second.close();

    const stored = await messagesOf(stream);
    expect(stored).toHaveLength(1);
    expect(stored[0]).toMatchObject({ key: 'a', headers: { txid, operation: 'insert' } });

    // The outbox is empty now: a third store starts with nothing pending.
    const third = stateStore(app.stream(path), schema, { outbox, live: false });
    const settled = await firstValueFrom(third.state$.pipe(filter((view) => view.upToDate)));
    expect(settled.pending).toEqual([]);
    expect(settled.collections['todos']).toEqual({ a: { id: 'a', title: 'written offline' } });
    third.close();
  });
});
