/** @jest-environment ./spec/support/angular-dom-environment.cjs */
/**
 * The State Protocol in Angular, on the reference server: injectStateStore()
 * as signals (collections, pending, status, mutate, the last refused
 * mutation, teardown with the injector), and withDurableState(), an NgRx
 * SignalStore feature whose state holds the collections and follows the
 * stream and the store's own mutations.
 */
import '@angular/compiler';
import { makeStateKey, PLATFORM_ID, provideZonelessChangeDetection, TransferState } from '@angular/core';
import { TestBed } from '@angular/core/testing';
import { BrowserTestingModule, platformBrowserTesting } from '@angular/platform-browser/testing';
import { signalStore, withComputed } from '@ngrx/signals';
import { computed } from '@angular/core';
import { firstValueFrom, lastValueFrom } from 'rxjs';
import { injectStateStore, provideDurableStreams } from '../../lib/angular/index';
import { withDurableState } from '../../lib/angular/signals/index';
import {
  appendJson,
  closeStream,
  createStream,
  DurableStreamsClient,
  fetchTransport,
  ForbiddenError,
  StreamClosedError,
} from '../../lib/index';
import { createStateSchema, MutationFailedError } from '../../lib/state/index';
import { todoSchema, type Todo } from '../state/support/todo-schema';
import { until } from '../support/until';

TestBed.initTestEnvironment(BrowserTestingModule, platformBrowserTesting(), { teardown: { destroyAfterEach: true } });

// The reference server of jest's global setup (not through spec/support/real-server: undici does not load under jsdom).
const streamBase = () => `${process.env['DS_TEST_SERVER_URL']!}/v1/stream`;
let counter = 0;
const uniquePath = (prefix: string) => `${prefix}-${process.pid}-${Date.now().toString(36)}-${counter++}`;

const schema = createStateSchema({ todos: { schema: todoSchema, type: 'todo', primaryKey: 'id' } });
const todo = (id: string, done = false): Todo => ({ id, title: id, done });

const writerOf = (path: string) =>
  new DurableStreamsClient({ baseUrl: streamBase(), transport: fetchTransport() }).stream(path);

/** The reference server answers the next append to `path` with a 403 (its fault injection). */
async function refuseNextAppend(path: string): Promise<void> {
  const response = await fetch(`${process.env['DS_TEST_SERVER_URL']!}/_test/inject-error`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ path: new URL(writerOf(path).url).pathname, status: 403, method: 'POST' }),
  });
  if (!response.ok) throw new Error(`fault injection failed: ${response.status}`);
}

/** What a spec checks of a MutationFailedError: its type, its cause's, its keys, `restored`. */
const failureOf = (failure: MutationFailedError | undefined) =>
  failure && {
    type: failure.constructor,
    cause: (failure.cause as Error).constructor,
    keys: failure.changes.map((change) => change.key),
    restored: failure.restored,
  };

async function board(...todos: Todo[]): Promise<string> {
  const path = uniquePath('ng-state');
  const writer = writerOf(path);
  await firstValueFrom(createStream(writer, { contentType: 'application/json' }));
  for (const value of todos) await firstValueFrom(appendJson(writer, schema.todos.insert({ value })));
  return path;
}

beforeEach(() =>
  TestBed.configureTestingModule({
    providers: [provideZonelessChangeDetection(), provideDurableStreams({ baseUrl: streamBase() })],
  }),
);

describe('injectStateStore()', () => {
  it('shows each collection as a signal, a mutation at once, and ends the read with its injector', async () => {
    const path = await board(todo('a'));
    const ref = TestBed.runInInjectionContext(() => injectStateStore(path, schema, { live: 'long-poll' }));
    await until(() => ref.upToDate(), 'caught up');
    expect(ref.collections.todos()).toEqual([todo('a')]);
    expect(ref.status()).toBe('live');
    expect(ref.connection()).toEqual({ status: 'live', mode: 'long-poll' });

    const done = lastValueFrom(ref.mutate((tx) => tx.todos.update(todo('a', true))));
    expect(ref.collections.todos()).toEqual([todo('a', true)]);
    expect(ref.pending()).toHaveLength(1);
    await done;
    expect(ref.pending()).toEqual([]);

    let completed = false;
    ref.store.state$.subscribe({ complete: () => (completed = true) });
    TestBed.resetTestingModule();
    expect(completed).toBe(true);
  });
});

describe('injectStateStore() when a write is refused', () => {
  it('shows the mutation taken back in lastFailure(), keeps it past a confirmed one, and the newest wins', async () => {
    const path = await board(todo('a'));
    const ref = TestBed.runInInjectionContext(() => injectStateStore(path, schema, { live: 'long-poll' }));
    await until(() => ref.upToDate(), 'caught up');
    expect(ref.lastFailure()).toBeUndefined();

    // A 403: the change shows at once, then is taken back and reported.
    await refuseNextAppend(path);
    const refused = lastValueFrom(ref.mutate((tx) => tx.todos.update(todo('a', true))));
    expect(ref.collections.todos()).toEqual([todo('a', true)]);
    await expect(refused).rejects.toBeInstanceOf(ForbiddenError);
    expect(ref.collections.todos()).toEqual([todo('a')]);
    expect(ref.pending()).toEqual([]);
    const first = ref.lastFailure();
    expect(failureOf(first)).toEqual({
      type: MutationFailedError,
      cause: ForbiddenError,
      keys: ['a'],
      restored: false,
    });
    expect([first?.code, first?.status]).toEqual(['MUTATION_FAILED', 403]);

    // A later confirmed mutation does not clear it: that change is still lost.
    await lastValueFrom(ref.mutate((tx) => tx.todos.insert(todo('b'))));
    expect(ref.collections.todos()).toEqual([todo('a'), todo('b')]);
    expect(ref.lastFailure()).toBe(first);

    // The stream closed: the next refusal replaces it.
    await firstValueFrom(closeStream(writerOf(path)));
    await expect(lastValueFrom(ref.mutate((tx) => tx.todos.delete('b')))).rejects.toBeInstanceOf(StreamClosedError);
    expect(failureOf(ref.lastFailure())).toEqual({
      type: MutationFailedError,
      cause: StreamClosedError,
      keys: ['b'],
      restored: false,
    });
    expect(ref.collections.todos()).toEqual([todo('a'), todo('b')]);

    // Destroying the injector ends the store's failed$ (nothing listens after), and the signal keeps its value.
    let ended = false;
    ref.store.failed$.subscribe({ complete: () => (ended = true) });
    const last = ref.lastFailure();
    TestBed.resetTestingModule();
    expect([ended, ref.lastFailure()]).toEqual([true, last]);
  });
});

describe('injectStateStore() when its read fails', () => {
  it('shows status error with the error, and no connection', async () => {
    const ref = TestBed.runInInjectionContext(() => injectStateStore(uniquePath('missing'), schema));
    expect(ref.connection()).toEqual({ status: 'connecting' });
    await until(() => ref.status() === 'error', 'the error');
    expect([ref.error()?.name, ref.connection()]).toEqual(['StreamNotFoundError', undefined]);
  });
});

describe('injectStateStore() rendered on the server', () => {
  it('catches up only, hands its state and checkpoint over, and the browser goes on from there', async () => {
    const path = await board(todo('a'), todo('b'));
    TestBed.configureTestingModule({ providers: [{ provide: PLATFORM_ID, useValue: 'server' }] });
    const onServer = TestBed.runInInjectionContext(() => injectStateStore(path, schema));
    await until(() => onServer.upToDate(), 'caught up on the server');
    const handed = JSON.parse(TestBed.inject(TransferState).toJson()) as Record<string, unknown>;
    const [key] = Object.keys(handed);
    expect(key).toMatch(/^dsrx:state:/);
    // Nothing of failures on the server: no signal set, nothing more handed over.
    expect([onServer.lastFailure(), Object.keys(handed)]).toEqual([undefined, [key]]);
    expect(handed[key]).toMatchObject({ value: { todos: { a: todo('a'), b: todo('b') } }, upToDate: true });
    TestBed.resetTestingModule();

    const other = new DurableStreamsClient({ baseUrl: streamBase(), transport: fetchTransport() }).stream(path);
    await firstValueFrom(appendJson(other, schema.todos.insert({ value: todo('c') })));
    const offsets: (string | null)[] = [];
    TestBed.configureTestingModule({
      providers: [
        provideZonelessChangeDetection(),
        provideDurableStreams({
          baseUrl: streamBase(),
          interceptors: [
            (request, next) => (offsets.push(new URL(request.url).searchParams.get('offset')), next(request)),
          ],
        }),
      ],
    });
    const state = TestBed.inject(TransferState);
    state.set(makeStateKey<unknown>(key), handed[key]);
    const inBrowser = TestBed.runInInjectionContext(() => injectStateStore(path, schema, { live: 'long-poll' }));
    // The server's state at once, before any request answered; then only what followed it.
    expect(inBrowser.collections.todos()).toEqual([todo('a'), todo('b')]);
    await until(() => inBrowser.collections.todos().length === 3, "the browser's read from the checkpoint");
    expect(offsets[0]).toBe((handed[key] as { checkpoint: { offset: string } }).checkpoint.offset);
    expect(offsets).not.toContain('-1');
  });
});

describe('withDurableState()', () => {
  const BoardStore = (path: string) =>
    signalStore(
      withDurableState(() => path, schema, { live: 'sse' }),
      withComputed(({ todos }) => ({ open: computed(() => Object.values(todos()).filter((item) => !item.done)) })),
    );

  it("keeps the stream's collections in the store's state, its own mutations first, then as the stream has them", async () => {
    const path = await board(todo('a'), todo('b'));
    const Store = BoardStore(path);
    TestBed.configureTestingModule({ providers: [Store] });
    const store = TestBed.inject(Store);
    await until(() => store.durable.upToDate(), 'caught up');
    expect(store.todos()).toEqual({ a: todo('a'), b: todo('b') });
    expect(store.open()).toEqual([todo('a'), todo('b')]);
    expect(store.durable.status()).toBe('live');

    const confirmed = lastValueFrom(
      store.mutate((tx) => {
        tx.todos.update({ ...tx.todos.get('a')!, done: true });
        tx.todos.insert(todo('c'));
      }),
    );
    expect(store.open()).toEqual([todo('b'), todo('c')]);
    expect(store.durable.pending()).toHaveLength(1);
    const { txid } = await confirmed;
    expect(store.durable.pending()).toEqual([]);
    expect(store.todos()).toEqual({ a: todo('a', true), b: todo('b'), c: todo('c') });

    // Another writer's change arrives through the same read.
    const other = new DurableStreamsClient({ baseUrl: streamBase(), transport: fetchTransport() }).stream(path);
    await firstValueFrom(appendJson(other, schema.todos.delete({ key: 'b' })));
    await until(() => !('b' in store.todos()), "the other writer's delete");
    expect(store.open()).toEqual([todo('c')]);
    expect(txid).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('keeps the newest mutation taken back in durable.lastFailure, past the views that follow', async () => {
    const path = await board(todo('a'));
    const Store = BoardStore(path);
    TestBed.configureTestingModule({ providers: [Store] });
    const store = TestBed.inject(Store);
    await until(() => store.durable.upToDate(), 'caught up');
    expect(store.durable.lastFailure()).toBeUndefined();

    await refuseNextAppend(path);
    const refused = lastValueFrom(store.mutate((tx) => tx.todos.insert(todo('lost'))));
    expect(store.todos()).toEqual({ a: todo('a'), lost: todo('lost') });
    await expect(refused).rejects.toBeInstanceOf(ForbiddenError);
    expect(store.todos()).toEqual({ a: todo('a') });
    const first = store.durable.lastFailure();
    expect(failureOf(first)).toEqual({
      type: MutationFailedError,
      cause: ForbiddenError,
      keys: ['lost'],
      restored: false,
    });

    // The views of a confirmed mutation keep it (and so do the status and pending beside it).
    await lastValueFrom(store.mutate((tx) => tx.todos.insert(todo('b'))));
    await until(() => store.durable.pending().length === 0, 'confirmed');
    expect(store.todos()).toEqual({ a: todo('a'), b: todo('b') });
    expect([store.durable.lastFailure(), store.durable.status()]).toEqual([first, 'live']);

    await firstValueFrom(closeStream(writerOf(path)));
    await expect(lastValueFrom(store.mutate((tx) => tx.todos.delete('a')))).rejects.toBeInstanceOf(StreamClosedError);
    expect(failureOf(store.durable.lastFailure())).toEqual({
      type: MutationFailedError,
      cause: StreamClosedError,
      keys: ['a'],
      restored: false,
    });
    expect(store.todos()).toEqual({ a: todo('a'), b: todo('b') });
  });

  it('shows a failed read as status error with the error, in the state', async () => {
    const Store = BoardStore(uniquePath('missing'));
    TestBed.configureTestingModule({ providers: [Store] });
    const store = TestBed.inject(Store);
    await until(() => store.durable.status() === 'error', 'the error');
    expect(store.durable.error()?.name).toBe('StreamNotFoundError');
  });
});
