import { DurableStreamError } from '../../errors/durable-stream-error.js';
import { errorMessage } from '../../util/error-message.js';

// Fields set by a constructor are `declare`d, as in DurableStreamError (bundle size).

/**
 * An outbox is held by another producer: in this process, in another
 * process (a file outbox's lock file names it), or in another tab. Two
 * producers writing with one producer id at once would fence each other, so
 * the second is refused: the producer that got this error stops, and what
 * the outbox holds stays for its owner.
 */
export class OutboxLockedError extends DurableStreamError {
  override name = 'OutboxLockedError';
  /** What holds the outbox, as far as it can tell (`process 4242 on host-a`, `this process`). */
  declare readonly holder: string;
  constructor(init: { readonly outbox: string; readonly holder: string; readonly url?: string }) {
    super('OUTBOX_LOCKED', `The outbox ${init.outbox} is held by ${init.holder}`, {
      url: init.url ?? '',
      hint: 'One producer at a time per outbox: finish() or abort() the other first, or give this one its own outbox',
    });
    this.holder = init.holder;
  }
}

/**
 * Why an outbox could not be used:
 * - `mismatch`: it holds unacknowledged batches of another producer or stream;
 * - `damaged`: what it holds cannot be read (not an outbox, or damaged
 *   elsewhere than at its last write, which is dropped when torn);
 * - `write-failed`: a change could not be saved (disk full, storage quota);
 * - `open-failed`: it could not be opened at all.
 */
export type OutboxErrorReason = 'mismatch' | 'damaged' | 'write-failed' | 'open-failed';

/** An outbox could not be opened, read or written: `reason` says which, `cause` what failed underneath. */
export class OutboxError extends DurableStreamError {
  override name = 'OutboxError';
  /** What went wrong. */
  declare readonly reason: OutboxErrorReason;
  constructor(init: {
    readonly reason: OutboxErrorReason;
    readonly what: string;
    readonly url?: string;
    readonly cause?: unknown;
    readonly hint?: string;
  }) {
    const cause = init.cause === undefined ? '' : `: ${errorMessage(init.cause)}`;
    super(`OUTBOX_${init.reason.toUpperCase().replace('-', '_')}`, `${init.what}${cause}`, {
      url: init.url ?? '',
      hint: init.hint ?? HINTS[init.reason],
      ...(init.cause === undefined ? {} : { cause: init.cause }),
    });
    this.reason = init.reason;
  }
}

const HINTS: Readonly<Record<OutboxErrorReason, string>> = {
  mismatch:
    'While it holds batches, an outbox belongs to one stream and producer id: open that producer to deliver ' +
    'them, or give this one another outbox',
  damaged: 'The outbox was changed by something other than a producer; its values cannot be trusted',
  'write-failed': 'Values appended since the last save are not saved; the producer stopped: see unsentValues()',
  'open-failed': 'Check that the outbox storage is reachable and writable',
};
/**
 * With an outbox, a batch was not acknowledged within `deliveryTimeoutMs`
 * of its first value's append. Nothing is given up: the values stay in the
 * outbox and delivery goes on; reported once per stretch of failures (the
 * next one after a batch is acknowledged again).
 */
export class DeliveryOverdueError extends DurableStreamError {
  override name = 'DeliveryOverdueError';
  /** The producer's id. */
  declare readonly producerId: string;
  /** The bound that passed, ms. */
  declare readonly deliveryTimeoutMs: number;
  constructor(init: {
    readonly url: string;
    readonly producerId: string;
    readonly deliveryTimeoutMs: number;
    readonly cause?: unknown;
  }) {
    super(
      'DELIVERY_OVERDUE',
      `Producer '${init.producerId}' has a batch not acknowledged within deliveryTimeoutMs (${init.deliveryTimeoutMs} ms)` +
        '; its values stay in the outbox and delivery goes on',
      {
        url: init.url,
        hint: 'The server is unreachable or failing; nothing saved is dropped. Show it (status$) rather than act on it',
        ...(init.cause === undefined ? {} : { cause: init.cause }),
      },
    );
    this.producerId = init.producerId;
    this.deliveryTimeoutMs = init.deliveryTimeoutMs;
  }
}
