import { DurableStreamError } from '../errors/durable-stream-error.js';
import { errorMessage } from '../util/error-message.js';
import type { ChangeMessage } from './messages.js';

/**
 * A mutation a state store took back from its view because its write
 * failed: the server refused it (`StreamClosedError`, reported once the
 * read reached the closed stream's end without it; `ForbiddenError`...),
 * or the producer gave up (`DeliveryTimeoutError`). `cause` is that error.
 * The store reports every one on `failed$`: those of `mutate()` (which also
 * errors with `cause` itself, or with this error when
 * `mayStillBeDelivered`) and those restored from its outbox at start-up
 * (`restored`), which no `mutate()` waits for. Nothing of it is in
 * the stream, and it is no longer in the outbox: make it again once the
 * cause is dealt with.
 *
 * Except when `mayStillBeDelivered`: the store's producer stopped because it
 * could not take or write the outbox (`cause` an `OutboxLockedError`: another
 * store or tab took it after this store had read it; or an `OutboxError`:
 * the storage failed) while the mutation was in it: restored from it, or
 * saved there before a later save failed. It is still in the outbox, and
 * whoever takes it next (that other store, or the next one after a reload)
 * delivers it, once (the server deduplicates), unless the server refuses it
 * then (that store reports it): the stream then shows it as any change read.
 * Do not make it again: that would write it twice.
 */
export class MutationFailedError extends DurableStreamError {
  override name = 'MutationFailedError';
  /** The mutation's transaction id. */
  readonly txid: string;
  /** Its change messages, as they were to be written. */
  readonly changes: readonly ChangeMessage[];
  /** It came from the outbox at start-up (made before a reload), not from a `mutate()` of this store. */
  readonly restored: boolean;
  /**
   * Not delivered by this store, but still in its outbox, for whoever takes
   * the outbox to deliver: not to be made again (see the class's doc).
   */
  readonly mayStillBeDelivered: boolean;

  constructor(init: {
    readonly url: string;
    readonly txid: string;
    readonly changes: readonly ChangeMessage[];
    readonly restored: boolean;
    readonly cause: unknown;
    /** Default: false. */
    readonly mayStillBeDelivered?: boolean;
  }) {
    const count = init.changes.length;
    const inOutbox = init.mayStillBeDelivered === true;
    const what =
      `Mutation ${init.txid} (${count} change${count === 1 ? '' : 's'}` +
      `${init.restored ? ', restored from the outbox' : ''}) ` +
      (inOutbox
        ? 'was not delivered by this store and was taken back from its view; it is still in the outbox ' +
          'and may still be delivered, once, by whoever takes the outbox: '
        : 'was not written and was taken back from the view: ') +
      errorMessage(init.cause);
    const status = (init.cause as Partial<DurableStreamError> | undefined)?.status;
    super('MUTATION_FAILED', what, {
      url: init.url,
      ...(typeof status === 'number' ? { status } : {}),
      cause: init.cause,
      hint: inOutbox
        ? "Do not make it again (that would write it twice): the stream shows it once the outbox's holder delivers it"
        : 'Nothing of it is in the stream: tell the user, and make it again once the cause (see `cause`) is dealt with',
    });
    this.txid = init.txid;
    this.changes = init.changes;
    this.restored = init.restored;
    this.mayStillBeDelivered = inOutbox;
  }
}
