import { switchMap, type Observable, type ObservableInput } from 'rxjs';
import type { Checkpoint } from '../protocol/offset.js';
import {
  assertCheckpointStorage,
  loadCheckpoint,
  type CheckpointStorage,
  type Checkpointed,
} from './checkpoint-storage.js';
import { persistCheckpoint, type PersistCheckpointOptions } from './persist-checkpoint.js';

/**
 * A read that survives a page refresh: loads the checkpoint saved under
 * `key` (`undefined` the first time), starts `read` from it, and saves every
 * processed batch's checkpoint back (see {@link persistCheckpoint}).
 *
 * ```ts
 * resumable(localStorage, 'chat/42', (checkpoint) => readJson<Message>(stream, { checkpoint }))
 *   .subscribe((batch) => render(batch.items));
 * ```
 *
 * Cold: nothing is read, from the storage or the network, before subscribe.
 */
export function resumable<T extends Checkpointed>(
  storage: CheckpointStorage,
  key: string,
  read: (checkpoint: Checkpoint | undefined) => ObservableInput<T>,
  options: PersistCheckpointOptions = {},
): Observable<T> {
  assertCheckpointStorage(storage, key);
  return loadCheckpoint(storage, key).pipe(
    switchMap((checkpoint) => read(checkpoint)),
    persistCheckpoint<T>(storage, key, options),
  );
}
