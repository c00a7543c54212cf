import { isPlatformServer } from '@angular/common';
import {
  assertInInjectionContext,
  computed,
  DestroyRef,
  inject,
  Injector,
  NgZone,
  PendingTasks,
  PLATFORM_ID,
  signal,
  TransferState,
  type Signal,
  type WritableSignal,
} from '@angular/core';
import type { Observable } from 'rxjs';
import { DurableStreamsClient, type Checkpoint, type ConnectionState, type DurableStream } from '../index.js';
import {
  stateStore,
  type EntitiesOf,
  type MutationFailedError,
  type MutationResult,
  type PendingMutation,
  type StateSchema,
  type StateStore,
  type StateStoreOptions,
  type StateView,
  type Transaction,
} from '../state/index.js';
import { asTransferredRead, ownsTransferKey, transferKey } from './transfer.js';

/** Options of {@link injectStateStore}: the store's, and where to make it. */
export interface InjectStateStoreOptions<Entities extends object> extends StateStoreOptions<Entities> {
  /** The injector to make it in; needed outside an injection context. */
  readonly injector?: Injector;
  /**
   * Server rendering: hand the state read on the server and its checkpoint to
   * the browser through `TransferState`, whose store goes live from there.
   * Default `true`.
   */
  readonly transfer?: boolean;
  /** The TransferState key, when two stores of one stream render in one page. */
  readonly transferKey?: string;
}

/** What a store's read is doing: its connection's status, or `error` once it failed (`error()` says why). */
export type StateStoreStatus = StateView['status'] | 'error';

/** A state store as signals: made by {@link injectStateStore}, ended with its injector. */
export interface StateStoreRef<Entities extends object> {
  /** Each collection's entities, in key order of arrival; a collection whose entries did not change keeps its array. */
  readonly collections: { readonly [K in keyof Entities]: Signal<readonly Entities[K][]> };
  /** The whole view: collections by key, pending mutations, checkpoint... */
  readonly view: Signal<StateView<Entities>>;
  /** Mutations shown and not yet read back from the stream. */
  readonly pending: Signal<readonly PendingMutation[]>;
  /** The read's connection status, or `error`. */
  readonly status: Signal<StateStoreStatus>;
  /**
   * The read's connection state itself (as `streamResource().connection()`):
   * while reconnecting, its `attempt`, `retryInMs` and `error`; undefined once
   * the read failed (`status()` is `error`).
   */
  readonly connection: Signal<ConnectionState | undefined>;
  /** Why the read failed (a `StateValidationError`, a `DurableStreamError`...); undefined unless `status()` is `error`. */
  readonly error: Signal<Error | undefined>;
  /** The read reached the stream's tail. */
  readonly upToDate: Signal<boolean>;
  /**
   * The newest mutation taken back from the view because its write failed
   * (the store's `failed$`): a `MutationFailedError` with its `txid`, its
   * `changes`, whether it was `restored` from the outbox, and the write's
   * error as `cause`. Undefined until one is; then kept until a newer one
   * replaces it (a later confirmed mutation does not clear it: that change
   * is still lost, unless `mayStillBeDelivered`: still in the outbox, its
   * holder delivers it, so it must not be made again). Not handed to the
   * browser by a server render.
   */
  readonly lastFailure: Signal<MutationFailedError | undefined>;
  /** `StateStore.mutate()`: cold; subscribe to apply and write. */
  mutate(recipe: (tx: Transaction<Entities>) => void): Observable<MutationResult>;
  /** The store itself. */
  readonly store: StateStore<Entities>;
}

/**
 * A `stateStore()` of `stream` (a handle, or a path of the provided
 * client) as signals, read while the injector lives. On the server the read
 * catches up only, holds the render until then (`PendingTasks`) and hands its
 * state to the browser (`TransferState`), whose store goes live from there.
 * The read runs outside the Angular zone; signals are set inside it.
 *
 * ```ts
 * readonly board = injectStateStore('boards/42', schema);
 * // template: @for (todo of board.collections.todos(); track todo.id) { ... }
 * add(title: string) {
 *   this.board.mutate((tx) => tx.todos.insert({ id: crypto.randomUUID(), title, done: false })).subscribe();
 * }
 * ```
 */
export function injectStateStore<S extends StateSchema>(
  stream: DurableStream | string,
  schema: S,
  options: InjectStateStoreOptions<EntitiesOf<S>> = {},
): StateStoreRef<EntitiesOf<S>> {
  if (!options.injector) assertInInjectionContext(injectStateStore);
  const injector = options.injector ?? inject(Injector);
  const handle = typeof stream === 'string' ? injector.get(DurableStreamsClient).stream(stream) : stream;
  const server = isPlatformServer(injector.get(PLATFORM_ID));
  const transfer = options.transfer === false ? null : injector.get(TransferState, null);
  const key = transfer && transferKey(handle.url, '-1', 'state', options.transferKey);
  const handed =
    key && !server ? asTransferredRead<StateView<EntitiesOf<S>>['collections']>(transfer.get(key, null)) : undefined;
  if (key && !server) transfer.remove(key);
  const store = stateStore(handle, schema, {
    ...options,
    live: server ? false : options.live,
    initial: handed ? { collections: handed.value, checkpoint: handed.checkpoint } : options.initial,
  });
  return connect(store, injector, server, (view, checkpoint) => {
    if (key && server && ownsTransferKey(transfer, key, store))
      transfer.set(key, { value: view.collections, checkpoint, upToDate: view.upToDate, closed: view.closed });
  });
}

/** The store's views as signals, its read subscribed outside the zone until the injector is destroyed. */
function connect<Entities extends object>(
  store: StateStore<Entities>,
  injector: Injector,
  server: boolean,
  handOver: (view: StateView<Entities>, checkpoint: Checkpoint) => void,
): StateStoreRef<Entities> {
  const zone = injector.get(NgZone);
  const removeTask = injector.get(PendingTasks).add();
  let holding = true;
  const release = () => {
    if (!holding) return;
    holding = false;
    removeTask();
  };
  let view: WritableSignal<StateView<Entities>> | undefined;
  const error = signal<Error | undefined>(undefined);
  const lastFailure = signal<MutationFailedError | undefined>(undefined);
  const failures = zone.runOutsideAngular(() =>
    store.failed$.subscribe((failure) => zone.run(() => lastFailure.set(failure))),
  );
  const subscription = zone.runOutsideAngular(() =>
    store.state$.subscribe({
      next: (next) =>
        zone.run(() => {
          if (view) view.set(next);
          else view = signal(next);
          if (server && next.checkpoint) handOver(next, next.checkpoint);
          // The catch-up holds the app's stability (a server render waits for it); live tailing never does.
          if (next.upToDate || next.closed || (server && (next.status === 'reconnecting' || next.status === 'offline')))
            release();
        }),
      error: (failure: unknown) =>
        zone.run(() => (error.set(failure instanceof Error ? failure : new Error(String(failure))), release())),
    }),
  );
  injector.get(DestroyRef).onDestroy(() => {
    subscription.unsubscribe();
    failures.unsubscribe();
    store.close();
    release();
  });
  // state$ gives the current view on subscribe, unless the store is closed.
  if (!view) throw new Error('injectStateStore(): the store was closed before it was connected');
  const current = view.asReadonly();
  const names = Object.keys(current().collections) as (keyof Entities & string)[];
  const collections = Object.fromEntries(
    names.map((name) => {
      const records = computed(() => current().collections[name]);
      return [name, computed(() => Object.values<Entities[typeof name]>(records()))];
    }),
  ) as unknown as StateStoreRef<Entities>['collections'];
  return {
    collections,
    view: current,
    pending: computed(() => current().pending),
    status: computed(() => (error() ? 'error' : current().status)),
    connection: computed(() => (error() ? undefined : current().connection)),
    error: error.asReadonly(),
    upToDate: computed(() => current().upToDate),
    lastFailure: lastFailure.asReadonly(),
    mutate: (recipe) => store.mutate(recipe),
    store,
  };
}
