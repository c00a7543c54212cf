import { DestroyRef, inject } from '@angular/core';
import {
  patchState,
  signalStoreFeature,
  withHooks,
  withMethods,
  withProps,
  withState,
  type WritableStateSource,
} from '@ngrx/signals';
import { Subscription, type Observable } from 'rxjs';
import { InvalidArgumentError, type DurableStream } from '../../index.js';
import type {
  EntitiesOf,
  MutationFailedError,
  MutationResult,
  PendingMutation,
  StateCollections,
  StateSchema,
  Transaction,
} from '../../state/index.js';
import { injectStateStore, type InjectStateStoreOptions, type StateStoreStatus } from '../inject-state-store.js';

/** Where a durable state's read stands, in the store's state under `durable`. */
export interface DurableSync {
  /** Mutations shown and not yet read back from the stream. */
  readonly pending: readonly PendingMutation[];
  /** The read's connection status, or `error`. */
  readonly status: StateStoreStatus;
  /** The read reached the stream's tail. */
  readonly upToDate: boolean;
  /** Why the read failed, once `status` is `error`. */
  readonly error: Error | undefined;
  /**
   * The newest mutation taken back because its write failed (as
   * `injectStateStore().lastFailure()`): undefined until one is, then kept
   * until a newer one replaces it.
   */
  readonly lastFailure: MutationFailedError | undefined;
}

/** What {@link withDurableState} adds to a SignalStore's state: each collection by name (entities by key), and `durable`. */
export type DurableState<Entities extends object> = StateCollections<Entities> & {
  /** Where the read stands. */
  readonly durable: DurableSync;
};

/**
 * An NgRx SignalStore feature: the collections of a State Protocol stream
 * in the store's state (`store.todos()`: entities by key; `store.durable.pending()`,
 * `store.durable.status()`, `store.durable.lastFailure()`), kept by one
 * `injectStateStore()` read for the store's lifetime, and a `mutate()` method that applies and writes a
 * transaction (cold: subscribe to it).
 *
 * ```ts
 * export const BoardStore = signalStore(
 *   withDurableState(() => 'boards/42', schema),
 *   withComputed(({ todos }) => ({ open: computed(() => Object.values(todos()).filter((todo) => !todo.done)) })),
 * );
 * ```
 *
 * @param stream Called once in the store's injection context: a handle, or a path of the provided client.
 */
export function withDurableState<S extends StateSchema>(
  stream: () => DurableStream | string,
  schema: S,
  options: InjectStateStoreOptions<EntitiesOf<S>> = {},
) {
  if (typeof stream !== 'function')
    throw new InvalidArgumentError(
      `withDurableState(stream, schema): stream must be a function returning a handle or a path (() => 'todos'), got ${typeof stream}`,
    );
  if (typeof schema !== 'object' || (schema as unknown) === null)
    throw new InvalidArgumentError(
      `withDurableState(stream, schema): schema must be made by createStateSchema(), got ${typeof schema}`,
    );
  const empty = Object.fromEntries(Object.keys(schema).map((name) => [name, {}])) as StateCollections<EntitiesOf<S>>;
  const sync: DurableSync = {
    pending: [],
    status: 'connecting',
    upToDate: false,
    error: undefined,
    lastFailure: undefined,
  };
  return signalStoreFeature(
    withState<DurableState<EntitiesOf<S>>>(() => ({ ...empty, durable: sync })),
    withProps(() => ({
      /** The store behind the state (private to the SignalStore). */
      _durableState: injectStateStore(stream(), schema, options),
    })),
    withMethods(({ _durableState }) => ({
      /** Applies and writes the changes `recipe` makes; emits `{ txid }` once they are read back. Cold. */
      mutate: (recipe: (tx: Transaction<EntitiesOf<S>>) => void): Observable<MutationResult> =>
        _durableState.mutate(recipe),
    })),
    withHooks({
      onInit(store) {
        // The generic state's signals defeat patchState's inference; the store is the state's source.
        const source = store as unknown as WritableStateSource<DurableState<EntitiesOf<S>>>;
        const { state$, failed$ } = store._durableState.store;
        // Each view (or failure) is one change of the state; `durable` keeps what the change does not set.
        const patch = (change: Partial<DurableSync>, collections?: StateCollections<EntitiesOf<S>>) =>
          patchState(
            source,
            (state) =>
              ({ ...collections, durable: { ...state.durable, ...change } }) as Partial<DurableState<EntitiesOf<S>>>,
          );
        const subscription = new Subscription();
        subscription.add(failed$.subscribe((lastFailure) => patch({ lastFailure })));
        subscription.add(
          state$.subscribe({
            next: ({ collections, pending, status, upToDate }) =>
              patch({ pending, status, upToDate, error: undefined }, collections),
            error: (failure: unknown) =>
              patch({ status: 'error', error: failure instanceof Error ? failure : new Error(String(failure)) }),
          }),
        );
        inject(DestroyRef).onDestroy(() => subscription.unsubscribe());
      },
    }),
  );
}
