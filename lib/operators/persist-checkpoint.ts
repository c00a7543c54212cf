import { Observable, type MonoTypeOperatorFunction } from 'rxjs';
import { InvalidArgumentError } from '../errors/client-errors.js';
import { errorMessage } from '../util/error-message.js';
import { sameRecord, type SavedRecord } from './checkpoint-record.js';
import {
  checkpointStorageOf,
  CheckpointStorageError,
  writeRecord,
  type CheckpointStorage,
  type CheckpointStorageOptions,
  type Checkpointed,
} from './checkpoint-storage.js';

/** Options of {@link persistCheckpoint}: where the checkpoint is kept, and what a failed save does. */
export interface PersistCheckpointOptions extends CheckpointStorageOptions {
  /**
   * Called when a save fails; the read then goes on (the next batch is saved
   * as usual). Without it, a failed save errors the observable with the
   * {@link CheckpointStorageError}.
   */
  readonly onSaveError?: (error: CheckpointStorageError) => void;
}

/**
 * Saves the `checkpoint` of each batch handed to the subscriber: the batch
 * is passed on first, and its checkpoint is written once everything
 * downstream has returned from handling it, so a restart never resumes past
 * a batch that was not delivered, and never delivers one again that was.
 * Place it last, after your own operators (or use {@link resumable}).
 *
 * ```ts
 * readJson<Order>(orders, { from: saved }).pipe(tap(render), persistCheckpoint({ storage: localStorage, key: 'orders' }))
 * ```
 *
 * - A batch handed over is saved whether or not the subscriber stays: one
 *   that leaves while handling it (`take(1)`, `firstValueFrom`,
 *   unsubscribing in `next`, an operator downstream that throws) has had
 *   it, and a restart starts after it.
 * - Synchronous storage (`localStorage`): written at once, in the same task
 *   as the handling.
 * - Asynchronous store: one write at a time, in order. Batches that arrive
 *   during a write replace each other: only the newest checkpoint is written
 *   next (memory stays bounded, nothing is reordered).
 * - A checkpoint equal to the last one is not written again.
 * - On complete or error of the source, the queued write is done first, then
 *   the complete or error is passed on. On unsubscribe, the write in progress
 *   and the newest queued one still finish; a failure then goes to
 *   `onSaveError` (without it, the stored checkpoint stays at the last batch
 *   saved: a restart delivers the later ones again, never skips them).
 */
export function persistCheckpoint<T extends Checkpointed>(
  options: PersistCheckpointOptions,
): MonoTypeOperatorFunction<T>;
/**
 * @deprecated Pass an options object: `persistCheckpoint({ storage, key, onSaveError })`. The positional form is
 * removed in the next release.
 */
export function persistCheckpoint<T extends Checkpointed>(
  storage: CheckpointStorage,
  key: string,
  options?: Pick<PersistCheckpointOptions, 'onSaveError'>,
): MonoTypeOperatorFunction<T>;
export function persistCheckpoint<T extends Checkpointed>(
  first: PersistCheckpointOptions | CheckpointStorage,
  key?: string,
  positionalOptions: Pick<PersistCheckpointOptions, 'onSaveError'> = {},
): MonoTypeOperatorFunction<T> {
  const where = checkpointStorageOf(first, key);
  const { onSaveError } = typeof key === 'string' ? positionalOptions : (first as PersistCheckpointOptions);
  return persistRecords<T>(where, onSaveError, (value) => ({ checkpoint: checkpointOf(value) }));
}

/**
 * The operator behind {@link persistCheckpoint} and `resumable()`: saves
 * `recordOf(value)` (a checkpoint, and a state when the app keeps one with
 * it) for each value handed to the subscriber, as described there.
 */
export function persistRecords<T>(
  where: CheckpointStorageOptions,
  onSaveError: ((error: CheckpointStorageError) => void) | undefined,
  recordOf: (value: T) => SavedRecord,
): MonoTypeOperatorFunction<T> {
  return (source) =>
    new Observable<T>((subscriber) => {
      let lastQueued: SavedRecord | undefined;
      let pending: SavedRecord | undefined;
      let writing = false;
      let ended: { readonly error: unknown; readonly failed: boolean } | undefined;

      // Once the subscriber has left, `error` is a no-op: the stored checkpoint stays at the last one saved.
      const saveFailed = (error: unknown): void => {
        const failure =
          error instanceof CheckpointStorageError
            ? error
            : new CheckpointStorageError('save', where.key, errorMessage(error), error);
        if (onSaveError) onSaveError(failure);
        else subscriber.error(failure);
      };

      const endIfIdle = (): void => {
        if (writing || !ended || subscriber.closed) return;
        if (ended.failed) subscriber.error(ended.error);
        else subscriber.complete();
      };

      const save = (record: SavedRecord): void => {
        let write: PromiseLike<unknown> | undefined;
        try {
          write = writeRecord(where, record);
        } catch (error) {
          saveFailed(error);
          return;
        }
        if (!write) return;
        writing = true;
        write.then(afterWrite, (error: unknown) => {
          saveFailed(error);
          afterWrite();
        });
      };

      // Goes on after the subscriber left: what was handed over before is saved all the same.
      const afterWrite = (): void => {
        writing = false;
        if (pending) {
          const next = pending;
          pending = undefined;
          save(next);
        }
        endIfIdle();
      };

      return source.subscribe({
        next: (value) => {
          // Not handed over: a synchronous source that goes on after the subscriber left.
          if (subscriber.closed) return;
          let record: SavedRecord;
          try {
            record = recordOf(value);
          } catch (error) {
            subscriber.error(error);
            return;
          }
          subscriber.next(value);
          if (sameRecord(record, lastQueued)) return;
          lastQueued = record;
          if (writing) pending = record;
          else save(record);
        },
        error: (error: unknown) => {
          ended = { error, failed: true };
          endIfIdle();
        },
        complete: () => {
          ended = { error: undefined, failed: false };
          endIfIdle();
        },
      });
    });
}

/** The checkpoint a value carries; an {@link InvalidArgumentError} for a value without one. */
export function checkpointOf(value: unknown): Checkpointed['checkpoint'] {
  const checkpoint = (value as Partial<Checkpointed> | null | undefined)?.checkpoint;
  if (typeof checkpoint?.offset !== 'string') {
    throw new InvalidArgumentError(
      'persistCheckpoint() needs values with a `checkpoint` ({ offset, cursor? }), ' +
        'such as the batches of readBytes(), readText() or readJson()',
    );
  }
  return checkpoint;
}
