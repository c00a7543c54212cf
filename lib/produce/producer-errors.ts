import { DurableStreamError } from '../errors/durable-stream-error.js';
import { errorMessage } from '../util/error-message.js';

// Fields set by a constructor are `declare`d, as in DurableStreamError (bundle size).

/** Which buffer limit an append hit. */
export type BufferLimit = 'maxBufferedMessages' | 'maxBufferedBytes';

/**
 * An append found the producer's buffer full: too many messages (or bytes)
 * are appended but not yet acknowledged. Nothing was buffered; the producer
 * keeps running. `tryAppend()` answers `false` instead of throwing.
 */
export class ProducerBufferFullError extends DurableStreamError {
  override name = 'ProducerBufferFullError';
  /** The producer's id. */
  declare readonly producerId: string;
  /** Which limit was hit. */
  declare readonly limit: BufferLimit;
  /** Messages waiting for acknowledgement when the append was refused. */
  declare readonly pendingMessages: number;
  /** Bytes waiting for acknowledgement when the append was refused. */
  declare readonly pendingBytes: number;
  constructor(init: {
    readonly url: string;
    readonly producerId: string;
    readonly limit: BufferLimit;
    readonly max: number;
    readonly pendingMessages: number;
    readonly pendingBytes: number;
  }) {
    super(
      'PRODUCER_BUFFER_FULL',
      `Producer '${init.producerId}' buffer is full: ${init.pendingMessages} messages (${init.pendingBytes} bytes) ` +
        `await acknowledgement, ${init.limit} is ${init.max}`,
      {
        url: init.url,
        hint: 'The server is slow or unreachable: wait for flush() (or tryAppend() later), or raise the limit',
      },
    );
    this.producerId = init.producerId;
    this.limit = init.limit;
    this.pendingMessages = init.pendingMessages;
    this.pendingBytes = init.pendingBytes;
  }
}

/** Why a producer takes no more appends. */
export type ProducerStopReason = 'finished' | 'aborted' | 'failed';

/**
 * The producer was finished, aborted, or stopped by an earlier error, and
 * takes no more appends. `cause` is the error that stopped it, if any.
 */
export class ProducerClosedError extends DurableStreamError {
  override name = 'ProducerClosedError';
  /** The producer's id. */
  declare readonly producerId: string;
  /** How it stopped: finished, aborted, or failed (see `cause`). */
  declare readonly reason: ProducerStopReason;
  constructor(init: {
    readonly url: string;
    readonly producerId: string;
    readonly reason: ProducerStopReason;
    readonly what?: string;
    readonly cause?: unknown;
  }) {
    super('PRODUCER_CLOSED', init.what ?? `Producer '${init.producerId}' is ${init.reason} and takes no more appends`, {
      url: init.url,
      hint:
        init.reason === 'failed'
          ? 'It stopped on the error in `cause`; to keep writing, create a new producer (a higher epoch)'
          : 'To keep writing, create a new producer (a higher epoch)',
      ...(init.cause === undefined ? {} : { cause: init.cause }),
    });
    this.producerId = init.producerId;
    this.reason = init.reason;
  }
}

/**
 * The Observable a producer was subscribed to failed. The producer reports
 * it, delivers what the source emitted before, and finishes.
 */
export class ProducerSourceError extends DurableStreamError {
  override name = 'ProducerSourceError';
  /** The producer's id. */
  declare readonly producerId: string;
  constructor(init: { readonly url: string; readonly producerId: string; readonly cause: unknown }) {
    super(
      'PRODUCER_SOURCE_ERROR',
      `The source subscribed to producer '${init.producerId}' failed: ${errorMessage(init.cause)}`,
      {
        url: init.url,
        hint: 'What it emitted before is delivered; the producer then finishes (the stream stays open)',
        cause: init.cause,
      },
    );
    this.producerId = init.producerId;
  }
}

/**
 * A batch could not be delivered within `deliveryTimeoutMs` of its first
 * value's append: transient failures (network errors, timeouts, 5xx, 429)
 * went on that long. The producer has stopped; `unsent` hands back every
 * value it had not got acknowledged, in append order, as the stream would
 * have stored it (on a JSON stream each value parsed back from its JSON),
 * for the caller to persist or append again. `cause` is the last failure.
 */
export class DeliveryTimeoutError extends DurableStreamError {
  override name = 'DeliveryTimeoutError';
  /** The producer's id. */
  declare readonly producerId: string;
  /** The bound that ran out, ms. */
  declare readonly deliveryTimeoutMs: number;
  /** Every value not acknowledged, in append order. */
  declare readonly unsent: readonly unknown[];
  constructor(init: {
    readonly url: string;
    readonly producerId: string;
    readonly deliveryTimeoutMs: number;
    readonly cause: unknown;
    readonly unsent: readonly unknown[];
  }) {
    super(
      'DELIVERY_TIMEOUT',
      `Producer '${init.producerId}' gave up: a batch was not acknowledged within deliveryTimeoutMs (${init.deliveryTimeoutMs} ms); ` +
        `last failure: ${errorMessage(init.cause)}. ${init.unsent.length} values not acknowledged are in error.unsent`,
      {
        url: init.url,
        hint:
          'Persist them, or append them again with a new producer (a higher epoch): those whose last request got ' +
          'no answer may be written already. Raise deliveryTimeoutMs (Infinity: never give up) to wait longer',
        cause: init.cause,
      },
    );
    this.producerId = init.producerId;
    this.deliveryTimeoutMs = init.deliveryTimeoutMs;
    this.unsent = init.unsent;
  }
}

/** Which bound a value is too large for: the producer's batch or buffer, or the server's (a 413 for the value alone). */
export type SizeLimit = 'maxBatchBytes' | 'maxBufferedBytes' | 'server';

/**
 * A value too large to send. `append()` throws it for a value that alone
 * would take a request body past `maxBatchBytes` (its JSON framing
 * counted), or the buffer past `maxBufferedBytes`: nothing was buffered,
 * the producer goes on. `errors$` reports it for a value the server refused
 * alone (413, `cause`), after smaller batches were tried: that value is
 * handed back in `value`, the others are delivered, the producer goes on.
 */
export class ValueTooLargeError extends DurableStreamError {
  override name = 'ValueTooLargeError';
  /** The producer's id. */
  declare readonly producerId: string;
  /** Which bound the value is too large for. */
  declare readonly limit: SizeLimit;
  /** The value's size in bytes (in its own request body, for `maxBatchBytes`), when known. */
  declare readonly bytes: number | undefined;
  /** The bound, for the producer's own. */
  declare readonly max: number | undefined;
  /** The value: handed back when the server refused it. */
  declare readonly value: unknown;
  constructor(init: {
    readonly url: string;
    readonly producerId: string;
    readonly limit: SizeLimit;
    readonly bytes?: number;
    readonly max?: number;
    readonly value: unknown;
    readonly cause?: unknown;
  }) {
    const what =
      init.limit === 'server'
        ? `The server refused a value of producer '${init.producerId}' as too large (413), alone in its request; ` +
          'it is in error.value, the values after it go on'
        : `A value of ${init.bytes} bytes can never be sent by producer '${init.producerId}': alone it exceeds ${init.limit} (${init.max})`;
    super('VALUE_TOO_LARGE', what, {
      url: init.url,
      ...(init.limit === 'server' ? { status: 413 } : {}),
      hint:
        init.limit === 'server'
          ? 'A proxy or the server limits request bodies: store large payloads elsewhere and append a reference, ' +
            'or raise that limit (and set maxBatchBytes to it: no split batches)'
          : `Split the value, or raise ${init.limit}`,
      ...(init.cause === undefined ? {} : { cause: init.cause }),
    });
    this.producerId = init.producerId;
    this.limit = init.limit;
    this.bytes = init.bytes;
    this.max = init.max;
    this.value = init.value;
  }
}
