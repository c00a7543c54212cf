import { catchError, defer, from, map, of, type Observable } from 'rxjs';
import { InvalidArgumentError } from '../errors/client-errors.js';
import { errorMessage } from '../util/error-message.js';
import { isPromiseLike } from '../util/is-promise-like.js';
import type { Checkpoint } from '../protocol/offset.js';
import { decodeRecord, encodeRecord, type SavedRecord } from './checkpoint-record.js';
import { CheckpointStorageError } from './checkpoint-storage-error.js';

export { CheckpointStorageError } from './checkpoint-storage-error.js';

/**
 * A synchronous key-value store with the shape of the Web Storage API:
 * `localStorage` and `sessionStorage` fit as they are. A `setItem` or
 * `getItem` that returns a promise (localForage, for one) is awaited.
 */
export interface SyncKeyValueStorage {
  /** The value stored under `key`; null or undefined when there is none. */
  getItem(key: string): string | null | undefined | PromiseLike<string | null | undefined>;
  /** Stores `value` under `key`. */
  setItem(key: string, value: string): void | PromiseLike<void>;
  /** Used by `clearCheckpoint()` when present; without it, an empty value is written (which loads as none). */
  removeItem?(key: string): void | PromiseLike<void>;
}

/** An asynchronous key-value store: IndexedDB wrappers, Capacitor Preferences adapters, a server... */
export interface AsyncKeyValueStore {
  /** The value stored under `key`; null or undefined when there is none. */
  get(key: string): PromiseLike<string | null | undefined>;
  /** Stores `value` under `key`. */
  set(key: string, value: string): PromiseLike<void>;
  /** Used by `clearCheckpoint()` when present; without it, an empty value is written (which loads as none). */
  delete?(key: string): PromiseLike<unknown>;
}

/** Where checkpoints are kept: `localStorage`, or any key-value store, of either shape. */
export type CheckpointStorage = SyncKeyValueStorage | AsyncKeyValueStore;

/** Where one checkpoint is kept: a storage, and the key under it. */
export interface CheckpointStorageOptions {
  /** `localStorage`, `sessionStorage`, or any key-value store: `getItem`/`setItem` or async `get`/`set`. */
  readonly storage: CheckpointStorage;
  /** The key the checkpoint is kept under: one per reader of a stream. */
  readonly key: string;
}

/** What every batch a read emits carries: where to resume after it. */
export interface Checkpointed {
  /** Where a read resumes after this batch. */
  readonly checkpoint: Checkpoint;
}

/** Throws {@link InvalidArgumentError} unless `storage` is a storage and `key` a non-empty string. */
export function assertCheckpointStorage(storage: CheckpointStorage, key: string): void {
  const candidate = storage as Partial<SyncKeyValueStorage & AsyncKeyValueStore> | null | undefined;
  const sync = typeof candidate?.getItem === 'function' && typeof candidate.setItem === 'function';
  const async = typeof candidate?.get === 'function' && typeof candidate.set === 'function';
  if (!sync && !async) {
    throw new InvalidArgumentError('checkpoint storage must have getItem/setItem (like localStorage) or async get/set');
  }
  if (typeof key !== 'string' || key === '') {
    throw new InvalidArgumentError('checkpoint storage key must be a non-empty string');
  }
}

/**
 * `{ storage, key }` from the options object, or from the positional
 * `(storage, key)` of the deprecated call shapes; checked.
 */
export function checkpointStorageOf(first: unknown, second?: unknown): CheckpointStorageOptions {
  if (typeof second === 'string') {
    const storage = first as CheckpointStorage;
    assertCheckpointStorage(storage, second);
    return { storage, key: second };
  }
  const options = first as Partial<CheckpointStorageOptions> | null | undefined;
  if (typeof options !== 'object' || options === null) {
    throw new InvalidArgumentError('pass where the checkpoint is kept as options { storage, key }');
  }
  assertCheckpointStorage(options.storage as CheckpointStorage, options.key as string);
  return options as CheckpointStorageOptions;
}

/**
 * The stored checkpoint, or `undefined` when there is none.
 * Cold: the storage is read on subscribe, again on every subscription.
 * A stored value that is not a checkpoint errors with {@link CheckpointStorageError}.
 *
 * ```ts
 * loadCheckpoint({ storage: localStorage, key: 'chat/42' })
 * ```
 */
export function loadCheckpoint(options: CheckpointStorageOptions): Observable<Checkpoint | undefined>;
/** @deprecated Pass an options object: `loadCheckpoint({ storage, key })`. The positional form is removed in the next release. */
export function loadCheckpoint(storage: CheckpointStorage, key: string): Observable<Checkpoint | undefined>;
export function loadCheckpoint(
  first: CheckpointStorageOptions | CheckpointStorage,
  key?: string,
): Observable<Checkpoint | undefined> {
  return loadRecord(checkpointStorageOf(first, key)).pipe(map((record) => record?.checkpoint));
}

/**
 * Saves `checkpoint`, for {@link loadCheckpoint} to find. Emits once (then
 * completes) when the storage has written it, awaiting an async store; a
 * failure errors with {@link CheckpointStorageError}. Cold: nothing is
 * written before subscribe, and each subscription writes again.
 */
export function saveCheckpoint(checkpoint: Checkpoint, options: CheckpointStorageOptions): Observable<void>;
/** @deprecated Pass the checkpoint first, then options: `saveCheckpoint(checkpoint, { storage, key })`. Removed in the next release. */
export function saveCheckpoint(storage: CheckpointStorage, key: string, checkpoint: Checkpoint): Observable<void>;
export function saveCheckpoint(
  first: Checkpoint | CheckpointStorage,
  second: CheckpointStorageOptions | string,
  third?: Checkpoint,
): Observable<void> {
  const positional = typeof second === 'string';
  const where = positional ? checkpointStorageOf(first, second) : checkpointStorageOf(second);
  const checkpoint = (positional ? third : first) as Partial<Checkpoint> | null | undefined;
  if (typeof checkpoint?.offset !== 'string' || checkpoint.offset === '') {
    throw new InvalidArgumentError(
      'saveCheckpoint(): the checkpoint must be { offset, cursor? }, as a batch carries it',
    );
  }
  return settled('save', where.key, () => writeRecord(where, { checkpoint: checkpoint as Checkpoint }));
}

/**
 * Removes the stored checkpoint, so the next {@link loadCheckpoint} finds
 * none ("start over"). Uses the storage's `removeItem` / `delete` when it
 * has one, else writes an empty value (which loads as none). Emits once
 * when done; cold, like {@link saveCheckpoint}.
 */
export function clearCheckpoint(options: CheckpointStorageOptions): Observable<void>;
/** @deprecated Pass an options object: `clearCheckpoint({ storage, key })`. The positional form is removed in the next release. */
export function clearCheckpoint(storage: CheckpointStorage, key: string): Observable<void>;
export function clearCheckpoint(first: CheckpointStorageOptions | CheckpointStorage, key?: string): Observable<void> {
  const where = checkpointStorageOf(first, key);
  return settled('clear', where.key, () => {
    const { storage } = where;
    try {
      const result = isAsyncStore(storage)
        ? storage.delete
          ? storage.delete(where.key)
          : storage.set(where.key, '')
        : storage.removeItem
          ? storage.removeItem(where.key)
          : storage.setItem(where.key, '');
      return isPromiseLike<unknown>(result) ? result : undefined;
    } catch (error) {
      throw new CheckpointStorageError('clear', where.key, errorMessage(error), error);
    }
  });
}

/** The stored record (checkpoint, and state when one was saved with it); cold, like {@link loadCheckpoint}. */
export function loadRecord({ storage, key }: CheckpointStorageOptions): Observable<SavedRecord | undefined> {
  return defer(() => {
    let raw: string | null | undefined | PromiseLike<string | null | undefined>;
    try {
      raw = isAsyncStore(storage) ? storage.get(key) : storage.getItem(key);
    } catch (error) {
      throw new CheckpointStorageError('load', key, errorMessage(error), error);
    }
    const value$ = isPromiseLike(raw)
      ? from(raw).pipe(
          catchError((error: unknown) => {
            throw new CheckpointStorageError('load', key, errorMessage(error), error);
          }),
        )
      : of(raw);
    return value$.pipe(map((value) => decodeRecord(key, value)));
  });
}

/**
 * Writes `record` (one value under one key): returns `undefined` when the
 * storage wrote it synchronously, otherwise the pending write as the store
 * returned it. A synchronous failure throws {@link CheckpointStorageError}.
 */
export function writeRecord(
  { storage, key }: CheckpointStorageOptions,
  record: SavedRecord,
): PromiseLike<unknown> | undefined {
  const value = encodeRecord(key, record);
  let result: unknown;
  try {
    result = isAsyncStore(storage) ? storage.set(key, value) : storage.setItem(key, value);
  } catch (error) {
    throw new CheckpointStorageError('save', key, errorMessage(error), error);
  }
  return isPromiseLike<unknown>(result) ? result : undefined;
}

/** Runs `write` on subscribe; emits once when it, and any write it returns, is done; its failures as CheckpointStorageError. */
function settled(
  operation: 'save' | 'clear',
  key: string,
  write: () => PromiseLike<unknown> | undefined,
): Observable<void> {
  return defer(() => {
    const pending = write();
    if (!pending) return of(undefined);
    return from(pending).pipe(
      map(() => undefined),
      catchError((error: unknown) => {
        throw new CheckpointStorageError(operation, key, errorMessage(error), error);
      }),
    );
  });
}

function isAsyncStore(storage: CheckpointStorage): storage is AsyncKeyValueStore {
  return (
    typeof (storage as Partial<SyncKeyValueStorage>).setItem !== 'function' &&
    typeof (storage as Partial<AsyncKeyValueStore>).set === 'function'
  );
}
