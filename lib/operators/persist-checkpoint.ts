import { Observable, type MonoTypeOperatorFunction } from 'rxjs';
import { InvalidArgumentError } from '../errors/client-errors.js';
import type { Checkpoint } from '../protocol/offset.js';
import {
  assertCheckpointStorage,
  CheckpointStorageError,
  sameCheckpoint,
  writeCheckpoint,
  type CheckpointStorage,
  type Checkpointed,
} from './checkpoint-storage.js';
import { errorMessage } from '../util/error-message.js';

/** Options of {@link persistCheckpoint}. */
export interface PersistCheckpointOptions {
  /**
   * Called when a save fails; the read then goes on (the next batch is saved
   * as usual). Without it, a failed save errors the observable with the
   * {@link CheckpointStorageError}.
   */
  readonly onSaveError?: (error: CheckpointStorageError) => void;
}

/**
 * Saves each batch's `checkpoint` under `key` once the batch has been
 * processed: the batch is passed on first, and its checkpoint is written when
 * everything downstream has returned from handling it, so a reload never
 * resumes past data that was not handled. Place it last, after your own
 * operators (or use {@link resumable}).
 *
 * - Synchronous storage (`localStorage`): written at once, in the same task
 *   as the processing.
 * - Asynchronous store: one write at a time, in order. Batches that arrive
 *   during a write replace each other: only the newest checkpoint is written
 *   next (memory stays bounded, nothing is reordered).
 * - A checkpoint equal to the last one is not written again.
 * - On complete or error of the source, the queued write is done first, then
 *   the complete or error is passed on. On unsubscribe, a queued write is
 *   dropped; a write in progress finishes on its own.
 */
export function persistCheckpoint<T extends Checkpointed>(
  storage: CheckpointStorage,
  key: string,
  options: PersistCheckpointOptions = {},
): MonoTypeOperatorFunction<T> {
  assertCheckpointStorage(storage, key);
  const { onSaveError } = options;
  return (source) =>
    new Observable<T>((subscriber) => {
      let lastQueued: Checkpoint | undefined;
      let pending: Checkpoint | undefined;
      let writing = false;
      let ended: { readonly error: unknown; readonly failed: boolean } | undefined;

      const saveFailed = (error: unknown): void => {
        const failure =
          error instanceof CheckpointStorageError
            ? error
            : new CheckpointStorageError('save', key, errorMessage(error), error);
        if (onSaveError) onSaveError(failure);
        else subscriber.error(failure);
      };

      const endIfIdle = (): void => {
        if (writing || !ended || subscriber.closed) return;
        if (ended.failed) subscriber.error(ended.error);
        else subscriber.complete();
      };

      const save = (checkpoint: Checkpoint): void => {
        let write: PromiseLike<void> | undefined;
        try {
          write = writeCheckpoint(storage, key, checkpoint);
        } catch (error) {
          saveFailed(error);
          return;
        }
        if (!write) return;
        writing = true;
        write.then(afterWrite, (error: unknown) => {
          if (!subscriber.closed) saveFailed(error);
          afterWrite();
        });
      };

      const afterWrite = (): void => {
        writing = false;
        if (subscriber.closed) return;
        if (pending) {
          const next = pending;
          pending = undefined;
          save(next);
        }
        endIfIdle();
      };

      return source.subscribe({
        next: (value) => {
          const checkpoint = (value as Partial<Checkpointed> | null | undefined)?.checkpoint;
          if (typeof checkpoint?.offset !== 'string') {
            subscriber.error(
              new InvalidArgumentError(
                'persistCheckpoint() needs values with a `checkpoint` ({ offset, cursor? }), such as the batches of readBytes(), readText() or readJson()',
              ),
            );
            return;
          }
          subscriber.next(value);
          // Downstream may have stopped while handling the batch: then it was not processed.
          if (subscriber.closed || sameCheckpoint(checkpoint, lastQueued)) return;
          lastQueued = checkpoint;
          if (writing) pending = checkpoint;
          else save(checkpoint);
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
