import { from, scan, switchMap, type Observable, type ObservableInput } from 'rxjs';
import { describeValue } from '../util/describe-value.js';
import { InvalidArgumentError } from '../errors/client-errors.js';
import type { Checkpoint, Offset } from '../protocol/offset.js';
import type { SavedRecord } from './checkpoint-record.js';
import { checkpointStorageOf, loadRecord, type CheckpointStorage, type Checkpointed } from './checkpoint-storage.js';
import { CheckpointStorageError } from './checkpoint-storage-error.js';
import { checkpointOf, persistRecords, type PersistCheckpointOptions } from './persist-checkpoint.js';

/** Options of {@link resumable}: where the checkpoint is kept, where to start the first time, what a failed save does. */
export interface ResumableOptions extends PersistCheckpointOptions {
  /**
   * Where to start when nothing is saved under `key` yet: `Offset.beginning`
   * (the read's default), `Offset.now`, an offset or a checkpoint, as a read's `from`.
   */
  readonly from?: Offset | Checkpoint;
}

/**
 * The app's own state, kept with the checkpoint: folded from every batch,
 * saved with that batch's checkpoint in one write under one key, loaded back
 * with it. After a crash, state and position cannot disagree.
 */
export interface ResumableState<T, S> {
  /** The state before the first batch ever read (nothing saved under `key`). */
  readonly initial: S;
  /**
   * Folds a batch into the state. Must not mutate `state`. The result is
   * stored as JSON: plain objects, arrays, strings, numbers, booleans, null.
   */
  readonly reduce: (state: S, batch: T) => S;
}

/** Options of a {@link resumable} read that keeps the app's state with its checkpoint. */
export interface ResumableStateOptions<T, S> extends ResumableOptions {
  /** The state to keep with the checkpoint: see {@link ResumableState}. */
  readonly state: ResumableState<T, S>;
}

/** What a {@link resumable} read with a `state` emits: each batch with the state after it. */
export interface BatchWithState<T, S> extends Checkpointed {
  /** The batch as the read emitted it. */
  readonly batch: T;
  /** The state with this batch folded in: what is saved with `checkpoint`. */
  readonly state: S;
}

/**
 * A read that survives a restart (a page refresh, a process restart): loads
 * the checkpoint saved under `key`, calls `read` with it (or with `from`
 * the first time; `undefined` when neither is there: the read's default),
 * and saves the checkpoint of every batch handed to the subscriber once it
 * has handled it, whether or not it stays (see {@link persistCheckpoint}).
 *
 * ```ts
 * resumable((from) => readJson<Message>(stream, { from }), { storage: localStorage, key: 'chat/42' })
 *   .subscribe((batch) => render(batch.items));
 * ```
 *
 * With `state: { initial, reduce }`, the app's own state is folded from the
 * batches and saved with each checkpoint in one write, loaded back with it
 * on the next start; each batch comes with the state after it
 * ({@link BatchWithState}).
 *
 * Cold: nothing is read, from the storage or the network, before subscribe.
 */
export function resumable<T extends Checkpointed, S>(
  read: (from: Checkpoint | undefined) => ObservableInput<T>,
  options: ResumableStateOptions<T, S>,
): Observable<BatchWithState<T, S>>;
export function resumable<T extends Checkpointed>(
  read: (from: Checkpoint | undefined) => ObservableInput<T>,
  options: ResumableOptions,
): Observable<T>;
/**
 * @deprecated Pass the read first, then options: `resumable((from) => readJson(stream, { from }), { storage, key })`.
 * The positional form is removed in the next release.
 */
export function resumable<T extends Checkpointed>(
  storage: CheckpointStorage,
  key: string,
  read: (checkpoint: Checkpoint | undefined) => ObservableInput<T>,
  options?: Pick<PersistCheckpointOptions, 'onSaveError'>,
): Observable<T>;
export function resumable<T extends Checkpointed, S>(
  ...args: ResumableArguments<T, S>
): Observable<T | BatchWithState<T, S>> {
  const { read, options } = argumentsOf(args);
  const where = checkpointStorageOf(options);
  const start = startOf(options.from);
  const { state } = options;
  if (state === undefined) {
    return loadRecord(where).pipe(
      switchMap((saved) => read(saved?.checkpoint ?? start)),
      persistRecords<T>(where, options.onSaveError, (batch) => ({ checkpoint: checkpointOf(batch) })),
    );
  }
  const { initial, reduce } = checkedState(state);
  return loadRecord(where).pipe(
    switchMap((saved) => {
      // Before the read: a checkpoint saved without its state must not start one.
      const loaded = { state: saved ? (savedState(where.key, saved) as S) : initial };
      return from(read(saved?.checkpoint ?? start)).pipe(
        scan<T, BatchWithState<T, S>, { readonly state: S }>(
          (previous, batch) => ({ batch, state: reduce(previous.state, batch), checkpoint: checkpointOf(batch) }),
          loaded,
        ),
      );
    }),
    persistRecords<BatchWithState<T, S>>(where, options.onSaveError, ({ checkpoint, state: value }) => ({
      checkpoint,
      state: { value },
    })),
  );
}

type ReadFrom<T> = (from: Checkpoint | undefined) => ObservableInput<T>;

type ResumableArguments<T, S> =
  | [read: ReadFrom<T>, options: ResumableOptions & Partial<ResumableStateOptions<T, S>>]
  | [
      storage: CheckpointStorage,
      key: string,
      read: ReadFrom<T>,
      options?: Pick<PersistCheckpointOptions, 'onSaveError'>,
    ];

/** The read and the options of either call shape, the read checked. */
function argumentsOf<T, S>(
  args: ResumableArguments<T, S>,
): { read: ReadFrom<T>; options: ResumableOptions & Partial<ResumableStateOptions<T, S>> } {
  const [read, options] =
    args.length === 2
      ? [args[0], args[1] as ResumableOptions | null | undefined]
      : [args[2], { ...args[3], storage: args[0], key: args[1] }];
  if (typeof read !== 'function') {
    throw new InvalidArgumentError('resumable(): the read must be a function (from) => Observable');
  }
  if (typeof options !== 'object' || options === null) {
    throw new InvalidArgumentError('resumable(): options { storage, key } are required');
  }
  return { read, options };
}

/** Where the first read starts, as the read function gets it: a checkpoint, or undefined (the read's default). */
function startOf(from: Offset | Checkpoint | undefined): Checkpoint | undefined {
  const start = typeof from === 'string' ? { offset: from } : from;
  const offset: unknown = (start as { readonly offset?: unknown } | null | undefined)?.offset;
  if (from === undefined || (typeof offset === 'string' && offset !== '')) return start;
  throw new InvalidArgumentError(
    `resumable(): from must be an offset (Offset.beginning, Offset.now, one a batch gave) or a checkpoint, got ${describeValue(from)}`,
  );
}

function checkedState<T, S>(state: ResumableState<T, S>): ResumableState<T, S> {
  if (typeof (state as Partial<ResumableState<T, S>> | null)?.reduce !== 'function') {
    throw new InvalidArgumentError('resumable(): state must be { initial, reduce: (state, batch) => state }');
  }
  return state;
}

/** The state saved with the checkpoint; a checkpoint saved without one cannot say what state goes with it. */
function savedState(key: string, saved: SavedRecord): unknown {
  if (!saved.state) {
    throw new CheckpointStorageError(
      'load',
      key,
      'a checkpoint is saved without a state, so the state at that position is unknown. ' +
        'Clear the key (clearCheckpoint) to read again from the start, or use a new key',
    );
  }
  return saved.state.value;
}
