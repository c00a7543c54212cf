import type { Observable } from 'rxjs';
import type { ProducerOutbox } from '../produce/outbox/producer-outbox.js';
import type { Checkpoint } from '../protocol/offset.js';
import type { LiveMode, ReadOptions } from '../read/read-options.js';
import type { MutationFailedError } from './mutation-failed-error.js';
import type { StateProducerOptions } from './mutation-writer.js';
import type { StateValidationError } from './state-validation-error.js';
import type { StateCollections, StateView } from './state-view.js';
import type { Transaction } from './transaction.js';

/** Where a store starts: the stream's state at `checkpoint` (from a server render, say), instead of reading from the beginning. */
export interface StateStoreStart<Entities extends object> {
  /** The entities by collection name, as a view's `collections` holds them (a missing collection is empty). Not validated. */
  readonly collections: Partial<StateCollections<Entities>>;
  /** Where that state was read up to: the read goes on from here. */
  readonly checkpoint: Checkpoint;
}

/** Options of `stateStore()`. */
export interface StateStoreOptions<Entities extends object = Record<string, unknown>> {
  /** How the read goes on once caught up (see `readJson()`); `false` ends it there (a server render). Default `'auto'`. */
  readonly live?: LiveMode;
  /**
   * A value read from the stream that fails its collection's schema:
   * `'error'` (the default) fails `state$` with a `StateValidationError`
   * naming the collection, the key and the batch's offset, before anything
   * of that batch is applied; `'skip'` leaves the entity out of the view (as
   * if deleted) and reports the error on `invalid$`.
   */
  readonly onInvalid?: 'error' | 'skip';
  /** Start from this state instead of reading the stream from its beginning. */
  readonly initial?: StateStoreStart<Entities>;
  /** The read's other options: headers, params, retry, timeouts. */
  readonly read?: Omit<ReadOptions, 'from' | 'offset' | 'checkpoint' | 'live' | 'connectionState'>;
  /** The producer's options: its id, headers and params, retry, delivery timeout. */
  readonly producer?: StateProducerOptions;
  /**
   * Where mutations are kept until the server has them, so that they
   * survive a reload: a `ProducerOutbox` (`indexedDbOutbox(name)` in a
   * page, `fileOutbox(dir)` in Node, `memoryOutbox()` in tests). At
   * start-up (the first subscription), the view shows the mutations the
   * outbox holds as pending, before anything is read, and the store's
   * producer (under the producer id they were saved with) delivers them,
   * each once; they are confirmed as any other, when their txid is read
   * back. `close()` then leaves what the server does not have yet in the
   * outbox, for the next store. A refused write takes what the store's
   * producer held out of the outbox (reported on `failed$`), so that later
   * mutations go through. One store at a time per outbox: a store that
   * finds it held waits up to 5 s for it (a reloaded page's last document
   * lets go of it a moment late), then its read fails with an
   * `OutboxLockedError`.
   */
  readonly outbox?: ProducerOutbox;
}

/** What a confirmed `mutate()` emits. */
export interface MutationResult {
  /** The transaction id its messages carried, now read back from the stream. */
  readonly txid: string;
}

/**
 * A State Protocol stream as a store: one shared read of the stream, and
 * optimistic mutations written back to it. Made by `stateStore()`.
 */
export interface StateStore<Entities extends object = Record<string, unknown>> {
  /**
   * The views: the current one at once, then one per batch read, per
   * mutation applied, confirmed or dropped, and per connection change.
   * Every subscriber shares one read of the stream, which starts with the
   * first and stops when the last leaves (the next goes on from where it
   * stood). Fails when the read fails; completes on `close()`.
   */
  readonly state$: Observable<StateView<Entities>>;
  /** With `onInvalid: 'skip'`: every entity left out, as it is read. Hot. */
  readonly invalid$: Observable<StateValidationError>;
  /**
   * Every mutation taken back from the view because its write failed (the
   * server refused it, the producer gave up), as a `MutationFailedError`
   * whose `cause` is the write's error: those of `mutate()` (which also
   * errors with that cause) and those restored from the outbox at start-up
   * (`restored`), which no `mutate()` waits for. One with
   * `mayStillBeDelivered` is still in the outbox, for whoever takes it to
   * deliver: not to be made again (its `mutate()` errors with the
   * `MutationFailedError` itself). Hot; completes on `close()`.
   */
  readonly failed$: Observable<MutationFailedError>;
  /**
   * Makes the changes `recipe` records on the transaction it gets, in one
   * transaction: cold; on subscribe the view shows them at once (same
   * tick), and they are written as one append, every message carrying a new
   * `txid` in its headers, through an idempotent producer (a retried write
   * is never stored twice). Emits `{ txid }` and completes when that txid is
   * read back from the stream; a refused or failed write drops the changes
   * from the view and errors with the write's error (`StreamClosedError`,
   * `ForbiddenError`, `DeliveryTimeoutError`...), or, for one that stays in
   * the outbox for whoever takes it next to deliver, with the
   * `MutationFailedError` that says so (`mayStillBeDelivered`). A recipe
   * that makes no change completes at once; one that throws (a value its schema refuses:
   * `StateValidationError`) errors, and nothing is applied or written.
   * Unsubscribing stops waiting; it does not take the change back.
   */
  mutate(recipe: (tx: Transaction<Entities>) => void): Observable<MutationResult>;
  /**
   * Ends the store: the read stops, `state$` completes, and `mutate()`s
   * still waiting error with a `ProducerClosedError` (what was written is
   * still delivered).
   */
  close(): void;
}
