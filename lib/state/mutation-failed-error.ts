import { DurableStreamError } from '../errors/durable-stream-error.js';
import { errorMessage } from '../util/error-message.js';
import type { ChangeMessage } from './messages.js';

/**
 * A mutation a state store took back from its view because its write
 * failed: the server refused it (`StreamClosedError`, `ForbiddenError`...),
 * or the producer gave up (`DeliveryTimeoutError`). `cause` is that error.
 * The store reports every one on `failed$`: those of `mutate()` (which also
 * errors with `cause` itself) and those restored from its outbox at
 * start-up (`restored`), which no `mutate()` waits for. Nothing of it is in
 * the stream, and it is no longer in the outbox; except a restored one whose
 * `cause` is an `OutboxLockedError` or `OutboxError`: the producer could not
 * take the outbox after the store had read it (another store took it first,
 * or the storage failed), so the mutation may still be there, for whoever
 * holds the outbox to deliver. Making that one again may write it twice.
 */
export class MutationFailedError extends DurableStreamError {
  override name = 'MutationFailedError';
  /** The mutation's transaction id. */
  readonly txid: string;
  /** Its change messages, as they were to be written. */
  readonly changes: readonly ChangeMessage[];
  /** It came from the outbox at start-up (made before a reload), not from a `mutate()` of this store. */
  readonly restored: boolean;

  constructor(init: {
    readonly url: string;
    readonly txid: string;
    readonly changes: readonly ChangeMessage[];
    readonly restored: boolean;
    readonly cause: unknown;
  }) {
    const count = init.changes.length;
    const what =
      `Mutation ${init.txid} (${count} change${count === 1 ? '' : 's'}` +
      `${init.restored ? ', restored from the outbox' : ''}) was not written and was taken back from the view: ` +
      errorMessage(init.cause);
    const status = (init.cause as Partial<DurableStreamError> | undefined)?.status;
    super('MUTATION_FAILED', what, {
      url: init.url,
      ...(typeof status === 'number' ? { status } : {}),
      cause: init.cause,
      hint: 'Nothing of it is in the stream: tell the user, and make it again once the cause (see `cause`) is dealt with',
    });
    this.txid = init.txid;
    this.changes = init.changes;
    this.restored = init.restored;
  }
}
