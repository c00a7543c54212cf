import { assertInInjectionContext, inject, Injector, type Signal } from '@angular/core';
import { map, scan } from 'rxjs';
import type { Checkpoint, ConnectionState, DurableStream, JsonBatch, ReadOptions } from '../index.js';
import { materialize, type Collections, type MaterializeOptions } from '../state/index.js';
import type { StreamResourceStatus } from './read-status.js';
import { StreamResourceImpl, type ValueBuilder } from './stream-resource-impl.js';

/**
 * Which stream to read, and how: every read option (`from`, `live`,
 * `headers`, `onError`, ...), plus the stream: a handle, or a path (against
 * the provided client's `baseUrl`) or URL.
 */
export interface StreamResourceRequest<T = unknown> extends Omit<ReadOptions, 'connectionState'> {
  /**
   * The stream: a handle (`client.stream<T>(path)`, whose `T` the resource's
   * items take), or its path (relative to the provided client's `baseUrl`)
   * or URL, read through the provided client. Handles of the same URL count
   * as the same stream, so a request that makes its handle anew does not reopen the read.
   */
  readonly stream: DurableStream<T> | string;
}

/** Options of every {@link streamResource}. */
export interface StreamResourceOptions {
  /** The injector to create the resource in; needed outside an injection context (constructor, field initializer). */
  readonly injector?: Injector;
  /**
   * Server rendering: hand the read's value and checkpoint to the browser
   * through `TransferState`, so the browser resumes live from there instead
   * of reading the history again. Default `true`. The value must survive
   * `JSON.stringify` (items of a JSON stream and `materialize()`'s
   * collections do; turn it off for a reducer that builds a `Map`).
   */
  readonly transfer?: boolean;
  /** The TransferState key, when two resources read the same stream from the same start with the same kind of value. */
  readonly transferKey?: string;
}

/** Options of a {@link streamResource} whose value a reducer builds from the batches. */
export interface StreamResourceReduceOptions<T, V> extends StreamResourceOptions {
  /** Folds each batch into the value; must not mutate `value` (signals compare by identity). */
  readonly reduce: (value: V, batch: JsonBatch<T>) => V;
  /** The value before the first batch, and after the request changes. */
  readonly initialValue: V;
}

/** Options of a {@link streamResource} over a State Protocol stream: its value is `materialize()`'s collections. */
export interface StreamResourceMaterializeOptions<Entities extends object> extends StreamResourceOptions {
  /** `materialize()`'s options; `initial` is set by the resource (from the server's render when there is one). */
  readonly materialize: Omit<MaterializeOptions<Entities>, 'initial'>;
}

/**
 * A read of a stream as signals, in the style of Angular's `httpResource()`.
 * Created with {@link streamResource}; the read ends when the injector that
 * made it is destroyed, or on `destroy()`.
 */
export interface StreamResourceRef<V> {
  /** What the read built so far: the items, the reducer's value, or the collections. Kept on error and during `reload()`. */
  readonly value: Signal<V>;
  /** What the read is doing: see {@link StreamResourceStatus}. */
  readonly status: Signal<StreamResourceStatus>;
  /**
   * The read's connection as it last told it ({@link ConnectionState}):
   * while `status()` is `'reconnecting'`, the `attempt`, the `retryInMs`
   * until the next try and the `error` that caused it ("retrying in 4 s").
   * Undefined with no read open (`'idle'`, `'resolved'`, `'error'`) and
   * before the read told anything.
   */
  readonly connection: Signal<ConnectionState | undefined>;
  /** Why the read failed (a `DurableStreamError` subclass, mostly); undefined unless `status()` is `'error'`. */
  readonly error: Signal<Error | undefined>;
  /** The last batch was up to date with the stream's tail. */
  readonly upToDate: Signal<boolean>;
  /** Where the read stands: pass it as `from` to resume after the last batch, with no gap and no duplicate. */
  readonly checkpoint: Signal<Checkpoint | undefined>;
  /** `status()` is `'connecting'` or `'catching-up'`. */
  readonly isLoading: Signal<boolean>;
  /** Whether `value()` holds something read for the current request (a batch arrived, or the server's render handed it over). */
  hasValue(): boolean;
  /** Reads the current request again from its start; the value stays until the new read's first batch. False when there is nothing to reload. */
  reload(): boolean;
  /** Ends the read now; the resource goes back to `'idle'` and stays there. */
  destroy(): void;
}

/**
 * A JSON stream as signals. `request` is reactive: when the signals it
 * reads change, the read is torn down (its connection closed) and a read
 * of the new request opens; `undefined` means no read (`'idle'`).
 *
 * ```ts
 * readonly room = input.required<string>();
 * readonly messages = streamResource(() => ({ stream: this.client.stream<Message>(`chat/${this.room()}`), live: 'sse' }));
 * // template: @for (m of messages.value(); track m.id) { ... }  {{ messages.status() }}
 * ```
 *
 * The value is every item so far (this form), a reducer's value
 * (`{ reduce, initialValue }`), or `materialize()`'s collections
 * (`{ materialize: { types: [...] } }`). During server rendering the read
 * catches up only, holds the render until then (`PendingTasks`), and hands
 * its value and checkpoint to the browser (`TransferState`), which goes
 * live from there. Reads run outside the Angular zone; signal updates
 * re-enter it.
 */
export function streamResource<T, V>(
  request: () => StreamResourceRequest<T> | string | undefined,
  options: StreamResourceReduceOptions<T, V>,
): StreamResourceRef<V>;
export function streamResource<Entities extends object>(
  request: () => StreamResourceRequest | string | undefined,
  options: StreamResourceMaterializeOptions<Entities>,
): StreamResourceRef<Collections<Entities>>;
export function streamResource<T = unknown>(
  request: () => StreamResourceRequest<T> | string | undefined,
  options?: StreamResourceOptions,
): StreamResourceRef<readonly T[]>;
export function streamResource(
  request: () => StreamResourceRequest | string | undefined,
  options: StreamResourceOptions &
    Partial<StreamResourceReduceOptions<unknown, unknown> & StreamResourceMaterializeOptions<object>> = {},
): StreamResourceRef<unknown> {
  if (!options.injector) assertInInjectionContext(streamResource);
  const injector = options.injector ?? inject(Injector);
  return new StreamResourceImpl(request, valueBuilder(options), options, injector);
}

const NO_ITEMS: readonly never[] = Object.freeze([]);

function valueBuilder(
  options: Partial<StreamResourceReduceOptions<unknown, unknown> & StreamResourceMaterializeOptions<object>>,
): ValueBuilder<unknown> {
  if (options.reduce && options.materialize)
    throw new Error('streamResource(): pass `reduce` or `materialize`, not both');
  if (options.reduce) {
    const reduce = options.reduce;
    return { kind: 'reduce', initial: options.initialValue, build: (seed) => scan(reduce, seed) };
  }
  if (options.materialize) {
    const settings = options.materialize;
    return {
      kind: 'materialize',
      initial: {},
      build: (seed) => (source) =>
        source.pipe(
          materialize({ ...settings, initial: seed as Collections }),
          map((state) => state.collections),
        ),
    };
  }
  return {
    kind: 'items',
    initial: NO_ITEMS,
    build: (seed) =>
      scan(
        (items: readonly unknown[], batch: JsonBatch) => (batch.items.length === 0 ? items : items.concat(batch.items)),
        seed as readonly unknown[],
      ),
  };
}
