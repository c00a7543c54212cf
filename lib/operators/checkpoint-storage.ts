import { catchError, defer, from, map, of, type Observable } from 'rxjs';
import { InvalidArgumentError } from '../errors/client-errors.js';
import { DurableStreamError } from '../errors/durable-stream-error.js';
import { errorMessage } from '../util/error-message.js';
import { isPromiseLike } from '../util/is-promise-like.js';
import type { Checkpoint } from '../protocol/offset.js';

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

/** Where checkpoints are kept: `localStorage`, or any key-value store. */
export type CheckpointStorage = SyncKeyValueStorage | AsyncKeyValueStore;

/** What every batch a read emits carries: where to resume after it. */
export interface Checkpointed {
  /** Where a read resumes after this batch. */
  readonly checkpoint: Checkpoint;
}

/** Saving or loading a checkpoint failed, or the stored value is not a checkpoint. */
export class CheckpointStorageError extends DurableStreamError {
  override name = 'CheckpointStorageError';
  /** The storage key concerned. */
  readonly key: string;
  /** `'load'`, `'save'` or `'clear'`. */
  readonly operation: 'load' | 'save' | 'clear';

  constructor(operation: 'load' | 'save' | 'clear', key: string, what: string, cause?: unknown) {
    super('CHECKPOINT_STORAGE', `Could not ${operation} the checkpoint under key '${key}': ${what}`, {
      url: '',
      cause,
      hint:
        operation === 'save'
          ? 'Check the storage (quota, permissions). Unless onSaveError handles it, the read stops here, so it never runs ahead of what is saved'
          : operation === 'clear'
            ? 'Check the storage (permissions)'
            : 'Check the storage, or remove the stored value; catch this error to start from another offset',
    });
    this.key = key;
    this.operation = operation;
  }
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
 * The stored checkpoint under `key`, or `undefined` when there is none.
 * Cold: the storage is read on subscribe, again on every subscription.
 * A stored value that is not a checkpoint errors with {@link CheckpointStorageError}.
 */
export function loadCheckpoint(storage: CheckpointStorage, key: string): Observable<Checkpoint | undefined> {
  assertCheckpointStorage(storage, key);
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
    return value$.pipe(map((value) => decodeCheckpoint(key, value)));
  });
}

/**
 * Saves `checkpoint` under `key`, for {@link loadCheckpoint} to find. Emits
 * once (then completes) when the storage has written it, awaiting an async
 * store; a failure errors with {@link CheckpointStorageError}. Cold: nothing
 * is written before subscribe, and each subscription writes again.
 */
export function saveCheckpoint(storage: CheckpointStorage, key: string, checkpoint: Checkpoint): Observable<void> {
  assertCheckpointStorage(storage, key);
  return settled('save', key, () => writeCheckpoint(storage, key, checkpoint));
}

/**
 * Removes the checkpoint under `key`, so the next {@link loadCheckpoint}
 * finds none ("start over"). Uses the storage's `removeItem` / `delete`
 * when it has one, else writes an empty value (which loads as none). Emits
 * once when done; cold, like {@link saveCheckpoint}.
 */
export function clearCheckpoint(storage: CheckpointStorage, key: string): Observable<void> {
  assertCheckpointStorage(storage, key);
  return settled('clear', key, () => {
    try {
      const result = isAsyncStore(storage)
        ? storage.delete
          ? storage.delete(key)
          : storage.set(key, '')
        : storage.removeItem
          ? storage.removeItem(key)
          : storage.setItem(key, '');
      return isPromiseLike<unknown>(result) ? result : undefined;
    } catch (error) {
      throw new CheckpointStorageError('clear', key, errorMessage(error), error);
    }
  });
}

/**
 * Writes `checkpoint` under `key`: returns `undefined` when the storage wrote
 * it synchronously, otherwise the pending write as the store returned it.
 * A synchronous failure throws {@link CheckpointStorageError}.
 */
export function writeCheckpoint(
  storage: CheckpointStorage,
  key: string,
  checkpoint: Checkpoint,
): PromiseLike<void> | undefined {
  const value = encodeCheckpoint(checkpoint);
  let result: void | PromiseLike<void>;
  try {
    result = isAsyncStore(storage) ? storage.set(key, value) : storage.setItem(key, value);
  } catch (error) {
    throw new CheckpointStorageError('save', key, errorMessage(error), error);
  }
  return isPromiseLike<undefined>(result) ? result : undefined;
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

/** Whether two checkpoints name the same position. */
export function sameCheckpoint(a: Checkpoint | undefined, b: Checkpoint | undefined): boolean {
  return a !== undefined && b !== undefined && a.offset === b.offset && a.cursor === b.cursor;
}

function encodeCheckpoint(checkpoint: Checkpoint): string {
  return JSON.stringify(
    checkpoint.cursor === undefined
      ? { offset: checkpoint.offset }
      : { offset: checkpoint.offset, cursor: checkpoint.cursor },
  );
}

function decodeCheckpoint(key: string, raw: string | null | undefined): Checkpoint | undefined {
  if (raw === null || raw === undefined || raw === '') return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch (error) {
    throw new CheckpointStorageError('load', key, `the stored value is not JSON: ${raw.slice(0, 80)}`, error);
  }
  if (typeof parsed !== 'object' || parsed === null) {
    throw new CheckpointStorageError('load', key, `the stored value is not a checkpoint: ${raw.slice(0, 80)}`);
  }
  const { offset, cursor } = parsed as { offset?: unknown; cursor?: unknown };
  if (typeof offset !== 'string' || offset === '' || (cursor !== undefined && typeof cursor !== 'string')) {
    throw new CheckpointStorageError('load', key, `the stored value is not a checkpoint: ${raw.slice(0, 80)}`);
  }
  return cursor === undefined ? { offset } : { offset, cursor };
}

function isAsyncStore(storage: CheckpointStorage): storage is AsyncKeyValueStore {
  return (
    typeof (storage as Partial<SyncKeyValueStorage>).setItem !== 'function' &&
    typeof (storage as Partial<AsyncKeyValueStore>).set === 'function'
  );
}
