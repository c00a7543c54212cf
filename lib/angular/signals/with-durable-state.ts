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
import type { Observable } from 'rxjs';
import { InvalidArgumentError, type DurableStream } from '../../index.js';
import type {
  EntitiesOf,
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
}

/** What {@link withDurableState} adds to a SignalStore's state: each collection by name (entities by key), and `durable`. */
export type DurableState<Entities extends object> = StateCollections<Entities> & {
  /** Where the read stands. */
  readonly durable: DurableSync;
};

/**
 * An NgRx SignalStore feature: the collections of a State Protocol stream
 * in the store's state (`store.todos()`: entities by key; `store.durable.pending()`,
 * `store.durable.status()`), kept by one `injectStateStore()` read for the
 * store's lifetime, and a `mutate()` method that applies and writes a
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
  const sync: DurableSync = { pending: [], status: 'connecting', upToDate: false, error: undefined };
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
        const subscription = store._durableState.store.state$.subscribe({
          next: (view) =>
            patchState(source, {
              ...view.collections,
              durable: { pending: view.pending, status: view.status, upToDate: view.upToDate, error: undefined },
            }),
          error: (failure: unknown) =>
            patchState(source, (state): Partial<DurableState<EntitiesOf<S>>> => {
              const error = failure instanceof Error ? failure : new Error(String(failure));
              return { durable: { ...state.durable, status: 'error', error } } as Partial<DurableState<EntitiesOf<S>>>;
            }),
        });
        inject(DestroyRef).onDestroy(() => subscription.unsubscribe());
      },
    }),
  );
}
