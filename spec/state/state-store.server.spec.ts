/**
 * stateStore() against the reference server: the optimistic view within the
 * same tick, confirmation by txid (one append, no read of its own), rollback
 * on a refused write (a closed stream, a 403), two stores' interleaved
 * mutations converging to the stream's order, validation on read.
 */
import { filter, firstValueFrom, lastValueFrom, toArray, type Observable } from 'rxjs';
import {
  closeStream,
  createStream,
  ForbiddenError,
  readJson,
  StreamClosedError,
  appendJson,
  type DurableStream,
  type DurableStreamsClient,
  type HttpRequest,
} from '../../lib/index';
import {
  createStateSchema,
  materialize,
  StateValidationError,
  stateStore,
  type StateStore,
  type StateView,
} from '../../lib/state/index';
import { createStateSchema as referenceSchema, MaterializedState, type ChangeEvent } from '@durable-streams/state';
import { injectFault, realClient, uniquePath } from '../support/real-server';
import { undiciTransport } from '../../lib/transport/undici/undici-transport';
import { tagSchema, todoSchema, type Todo } from './support/todo-schema';

const definition = {
  todos: { schema: todoSchema, type: 'todo', primaryKey: 'id' },
  tags: { schema: tagSchema, type: 'tag', primaryKey: 'name' },
};
const schema = createStateSchema(definition);
type Entities = { readonly todos: Todo; readonly tags: { name: string; color: string } };

const transport = undiciTransport();
afterAll(() => transport.close());

let requests: HttpRequest[] = [];
const client: DurableStreamsClient = realClient(transport, {
  interceptors: [(request, next) => (requests.push(request), next(request))],
});

async function newStream(): Promise<DurableStream> {
  const stream = client.stream(uniquePath('state'));
  await firstValueFrom(createStream(stream, { contentType: 'application/json' }));
  return stream;
}

/** The views a store emits from now on, and the latest one. */
function watch(store: StateStore<Entities>) {
  const views: StateView<Entities>[] = [];
  const subscription = store.state$.subscribe({ next: (view) => views.push(view), error: () => undefined });
  return {
    views,
    latest: () => views[views.length - 1],
    until: (predicate: (view: StateView<Entities>) => boolean) => firstValueFrom(store.state$.pipe(filter(predicate))),
    stop: () => subscription.unsubscribe(),
  };
}

const todo = (id: string, title = id, done = false): Todo => ({ id, title, done });
const messagesOf = async (stream: DurableStream) =>
  (await lastValueFrom(readJson(stream, { live: false }).pipe(toArray()))).flatMap((batch) => batch.items);

describe('stateStore() on the reference server', () => {
  it('shows a mutation within the same tick, then confirms it by its txid, read back once', async () => {
    const stream = await newStream();
    const store = stateStore(stream, schema, { live: 'sse' });
    const watching = watch(store);
    await watching.until((view) => view.status === 'live');

    let result: { txid: string } | undefined;
    const confirmed = new Promise<void>((resolve, reject) =>
      store
        .mutate((tx) => tx.todos.insert(todo('a', 'Milk')))
        .subscribe({
          next: (value) => (result = value),
          complete: resolve,
          error: reject,
        }),
    );
    // Same tick: the view already shows it, pending and not yet delivered.
    const optimistic = watching.latest();
    expect(optimistic.collections.todos['a']).toEqual(todo('a', 'Milk'));
    expect(optimistic.pending).toHaveLength(1);
    expect(optimistic.pending[0].status).toBe('sending');
    const { txid } = optimistic.pending[0];

    await confirmed;
    expect(result).toEqual({ txid });
    const final = watching.latest();
    expect(final.pending).toEqual([]);
    expect(final.collections.todos['a']).toEqual(todo('a', 'Milk'));
    const stored = await messagesOf(stream);
    // The reference server adds each message's offset to its headers as it serves it.
    expect(stored).toEqual([
      {
        type: 'todo',
        key: 'a',
        value: todo('a', 'Milk'),
        headers: expect.objectContaining({ txid, operation: 'insert' }) as unknown,
      },
    ]);
    watching.stop();
    store.close();
  });

  it('costs one append and no read of its own: the shared SSE read sees the txid', async () => {
    const stream = await newStream();
    const store = stateStore(stream, schema, { live: 'sse' });
    const watching = watch(store);
    await watching.until((view) => view.status === 'live');
    requests = [];
    await lastValueFrom(
      store.mutate((tx) => {
        tx.todos.insert(todo('a'));
        tx.todos.insert(todo('b'));
        tx.tags.upsert({ name: 'home', color: 'green' });
      }),
    );
    expect(requests.map((request) => request.method)).toEqual(['POST']);
    expect(watching.latest().collections.todos).toEqual({ a: todo('a'), b: todo('b') });
    watching.stop();
    store.close();
  });

  it("reads a stream written with @durable-streams/state's helpers as its MaterializedState does, and the reverse", async () => {
    const theirs = referenceSchema(definition);
    const written = [
      theirs.todos.insert({ value: todo('a', 'A') }),
      theirs.tags.insert({ value: { name: 'home', color: 'green' } }),
      theirs.todos.insert({ value: todo('b', 'B') }),
      theirs.todos.update({ value: todo('a', 'A', true), oldValue: todo('a', 'A'), headers: { txid: 'x1' } }),
      theirs.todos.upsert({ value: todo('c', 'C') }),
      theirs.todos.delete({ key: 'b' }),
      theirs.tags.upsert({ value: { name: 'home', color: 'blue' } }),
    ];
    const stream = await newStream();
    for (const message of written) await lastValueFrom(appendJson(stream, message));
    const reference = new MaterializedState();
    reference.applyBatch((await messagesOf(stream)) as ChangeEvent[]);
    const store = stateStore(stream, schema, { live: false });
    const view = await firstValueFrom(store.state$.pipe(filter((candidate) => candidate.upToDate)));
    expect({ ...view.collections.todos }).toEqual(Object.fromEntries(reference.getType('todo')));
    expect({ ...view.collections.tags }).toEqual(Object.fromEntries(reference.getType('tag')));
    expect(Object.keys(view.collections.todos)).toEqual(['a', 'c']);
    store.close();

    // The reverse: what our store writes, the reference materializes as our store shows it.
    const ours = await newStream();
    const writer = stateStore(ours, schema, { live: 'long-poll' });
    const watching = watch(writer);
    await lastValueFrom(
      writer.mutate((tx) => {
        tx.todos.insert(todo('a', 'A'));
        tx.todos.insert(todo('b', 'B'));
        tx.tags.insert({ name: 'home', color: 'green' });
      }),
    );
    await lastValueFrom(
      writer.mutate((tx) => {
        tx.todos.update(todo('a', 'A', true), { oldValue: tx.todos.get('a') });
        tx.todos.delete('b');
        tx.todos.upsert(todo('c', 'C'));
      }),
    );
    const mirrored = new MaterializedState();
    mirrored.applyBatch((await messagesOf(ours)) as ChangeEvent[]);
    expect({ ...watching.latest().collections.todos }).toEqual(Object.fromEntries(mirrored.getType('todo')));
    expect({ ...watching.latest().collections.tags }).toEqual(Object.fromEntries(mirrored.getType('tag')));
    expect(mirrored.get('todo', 'a')).toEqual(todo('a', 'A', true));
    watching.stop();
    writer.close();
  });

  it('ends its read when the last subscriber leaves, and goes on from there for the next', async () => {
    const stream = await newStream();
    await lastValueFrom(appendJson(stream, schema.todos.insert({ value: todo('a') })));
    const store = stateStore(stream, schema, { live: 'long-poll' });
    requests = [];
    const first = watch(store);
    const second = watch(store);
    await first.until((view) => view.upToDate);
    first.stop();
    const live = requests.filter((request) => request.method === 'GET');
    expect(live.every((request) => !request.signal.aborted)).toBe(true);
    second.stop();
    expect(live[live.length - 1].signal.aborted).toBe(true);

    await lastValueFrom(appendJson(stream, schema.todos.insert({ value: todo('b') })));
    requests = [];
    const third = watch(store);
    // The kept state at once, then the read resumed at its checkpoint.
    expect(Object.keys(third.latest().collections.todos)).toEqual(['a']);
    await third.until((view) => view.collections.todos['b'] !== undefined);
    expect(new URL(requests[0].url).searchParams.get('offset')).not.toBe('-1');
    third.stop();
    store.close();
  });

  it('keeps the read going for a mutate() nobody watches the view of, and stops it after', async () => {
    const stream = await newStream();
    const store = stateStore(stream, schema, { live: 'long-poll' });
    const { txid } = await lastValueFrom(store.mutate((tx) => tx.todos.insert(todo('a'))));
    expect(txid).toMatch(/^[0-9a-f-]{36}$/);
    const view = await firstValueFrom(store.state$);
    expect(view.collections.todos['a']).toEqual(todo('a'));
    store.close();
  });

  it.each([
    ['a closed stream', StreamClosedError, (stream: DurableStream) => lastValueFrom(closeStream(stream))],
    [
      'a 403',
      ForbiddenError,
      (stream: DurableStream) => injectFault(new URL(stream.url).pathname, { status: 403, method: 'POST' }),
    ],
  ] as const)('rolls back a write refused by %s, erroring with the typed error', async (_name, type, refuse) => {
    const stream = await newStream();
    await lastValueFrom(appendJson(stream, schema.todos.insert({ value: todo('kept') })));
    const store = stateStore(stream, schema, { live: 'long-poll' });
    const watching = watch(store);
    await watching.until((view) => view.upToDate);
    await refuse(stream);

    const outcome = lastValueFrom(
      store.mutate((tx) => {
        tx.todos.update({ ...todo('kept'), done: true });
        tx.todos.insert(todo('new'));
      }),
    );
    expect(watching.latest().collections.todos).toEqual({ kept: todo('kept', 'kept', true), new: todo('new') });
    await expect(outcome).rejects.toBeInstanceOf(type);
    const after = watching.latest();
    expect(after.pending).toEqual([]);
    expect(after.collections.todos).toEqual({ kept: todo('kept') });
    expect((await messagesOf(stream)).length).toBe(1);

    // The store writes on with a new producer once the refusal is over.
    if (type === ForbiddenError) {
      await lastValueFrom(store.mutate((tx) => tx.todos.insert(todo('later'))));
      expect(watching.latest().collections.todos['later']).toEqual(todo('later'));
    }
    watching.stop();
    store.close();
  });

  it('two stores making 20 interleaved mutations converge to the order of the stream', async () => {
    const stream = await newStream();
    const stores = [stateStore(stream, schema, { live: 'sse' }), stateStore(stream, schema, { live: 'long-poll' })];
    const watches = stores.map(watch);
    await Promise.all(watches.map((watching) => watching.until((view) => view.status === 'live')));

    // Both write the same few keys, so the last write of each key decides, in the stream's order.
    const writes: Observable<unknown>[] = [];
    for (let round = 0; round < 10; round++)
      stores.forEach((store, which) =>
        writes.push(
          store.mutate((tx) => {
            tx.todos.upsert(todo(`k${round % 3}`, `store ${which} round ${round}`));
            if (round % 4 === which) tx.todos.delete(`k${(round + 1) % 3}`);
          }),
        ),
      );
    await Promise.all(writes.map((write) => lastValueFrom(write)));

    const stored = await messagesOf(stream);
    expect(new Set(stored.map((message) => (message as { headers: { txid: string } }).headers.txid)).size).toBe(20);
    const truth = await lastValueFrom(
      readJson(stream, { live: false }).pipe(materialize<{ todo: Todo }>({ types: ['todo'] }), toArray()),
    );
    const expected = { ...truth[truth.length - 1].collections.todo };
    for (const watching of watches) {
      await watching.until((view) => view.pending.length === 0);
      expect({ ...watching.latest().collections.todos }).toEqual(expected);
      watching.stop();
    }
    stores.forEach((store) => store.close());
  });

  it('fails on a value its schema refuses with a StateValidationError naming collection, key and offset', async () => {
    const stream = await newStream();
    await lastValueFrom(appendJson(stream, schema.todos.insert({ value: todo('good') })));
    await lastValueFrom(
      appendJson(stream, { type: 'todo', key: 'bad', value: { id: 'bad' }, headers: { operation: 'insert' } }),
    );
    const store = stateStore(stream, schema, { live: false });
    const error: unknown = await lastValueFrom(store.state$).catch((failure: unknown) => failure);
    expect(error).toBeInstanceOf(StateValidationError);
    const { offset } = (await lastValueFrom(readJson(stream, { live: false }))) as { offset: string };
    expect(error).toMatchObject({ collection: 'todos', entityType: 'todo', key: 'bad', offset });
    expect((error as Error).message).toContain(`todos/bad (type "todo") in the batch ending at offset ${offset}`);
    store.close();
  });

  it("with onInvalid: 'skip', leaves the entity out and reports it on invalid$", async () => {
    const stream = await newStream();
    await lastValueFrom(appendJson(stream, schema.todos.insert({ value: todo('x', 'first') })));
    await lastValueFrom(
      appendJson(stream, { type: 'todo', key: 'x', value: { id: 'x' }, headers: { operation: 'update' } }),
    );
    await lastValueFrom(appendJson(stream, schema.todos.insert({ value: todo('y') })));
    const store = stateStore(stream, schema, { live: false, onInvalid: 'skip' });
    const reported: StateValidationError[] = [];
    store.invalid$.subscribe((error) => reported.push(error));
    const view = await firstValueFrom(store.state$.pipe(filter((candidate) => candidate.upToDate)));
    expect(view.collections.todos).toEqual({ y: todo('y') });
    expect(reported).toHaveLength(1);
    expect(reported[0]).toMatchObject({ collection: 'todos', key: 'x', value: { id: 'x' } });
    store.close();
  });
});
