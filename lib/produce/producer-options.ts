import { InvalidArgumentError } from '../errors/client-errors.js';
import { describeValue } from '../util/describe-value.js';
import type { DurableStreamError } from '../errors/durable-stream-error.js';
import { resolveRetryConfig } from '../retry/retry-config.js';
import type { RequestOptions } from '../http/stream-context.js';
import type { ProducerOutbox } from './outbox/producer-outbox.js';
import { validateDynamicRecord } from '../http/dynamic-values.js';

/** Options of `idempotentProducer()`. Every limit is validated when the producer is made. */
export interface ProducerOptions extends RequestOptions {
  /**
   * The producer's epoch. Raise it on every restart of the same logical
   * producer (same id): the server then fences the old instance, and a
   * restart at the same epoch would be taken for retries of data already
   * written. Default 0.
   */
  readonly epoch?: number;
  /**
   * On a stale epoch (403), take the server's epoch + 1 and carry on instead
   * of stopping. For producers with no durable epoch (serverless, ephemeral).
   * Default false.
   */
  readonly autoClaim?: boolean;
  /** How long a batch waits for more messages after its first one, ms (>= 0). Default 5. */
  readonly lingerMs?: number;
  /** A batch is sent once it holds this many bytes (> 0). Default 1 MiB. */
  readonly maxBatchBytes?: number;
  /** A batch is sent once it holds this many messages (> 0). Default 1000. */
  readonly maxBatchItems?: number;
  /** Batches sent concurrently (> 0). Default 5. */
  readonly maxInFlight?: number;
  /**
   * How long a batch may take to be acknowledged, from its first value's
   * append, ms (> 0; `Infinity`: forever). Until then transient failures
   * (network errors, timeouts, 5xx, 429) are retried with backoff, however
   * many (unless `retry.maxRetries` bounds them); then the producer stops
   * with a `DeliveryTimeoutError` that hands back every value not
   * acknowledged. Kafka's `delivery.timeout.ms`. Default 120 000.
   */
  readonly deliveryTimeoutMs?: number;
  /** Messages appended but not yet acknowledged before appends are refused (> 0). Default 100 000. */
  readonly maxBufferedMessages?: number;
  /** Bytes appended but not yet acknowledged before appends are refused (> 0). Default 64 MiB. */
  readonly maxBufferedBytes?: number;
  /** The stream's content type; default: the stream's, learned once with a HEAD when the handle does not know it. */
  readonly contentType?: string;
  /** Called with every error `errors$` emits. */
  readonly onError?: (error: DurableStreamError) => void;
  /**
   * Where the producer keeps what it must not lose until acknowledged
   * (docs/producer.md, "Writes that survive"): `memoryOutbox()`,
   * `fileOutbox(dir)` from `durable-streams-rx/node`, or any
   * `ProducerOutbox`. It first sends again what the outbox holds, under the
   * epoch and seq it was saved with; `saved()` tells when appended values
   * are in it; `deliveryTimeoutMs` then only reports. Default: none.
   */
  readonly outbox?: ProducerOutbox;
}

/** Producer options after validation, defaults filled in. */
export interface ResolvedProducerOptions {
  readonly producerId: string;
  readonly epoch: number;
  readonly autoClaim: boolean;
  readonly lingerMs: number;
  readonly maxBatchBytes: number;
  readonly maxBatchItems: number;
  readonly maxInFlight: number;
  readonly deliveryTimeoutMs: number;
  readonly maxBufferedMessages: number;
  readonly maxBufferedBytes: number;
  readonly contentType: string | undefined;
  readonly onError: ((error: DurableStreamError) => void) | undefined;
  readonly outbox: ProducerOutbox | undefined;
  readonly request: RequestOptions;
}

export const DEFAULT_PRODUCER_OPTIONS = Object.freeze({
  epoch: 0,
  autoClaim: false,
  lingerMs: 5,
  maxBatchBytes: 1024 * 1024,
  maxBatchItems: 1000,
  maxInFlight: 5,
  deliveryTimeoutMs: 120_000,
  maxBufferedMessages: 100_000,
  maxBufferedBytes: 64 * 1024 * 1024,
});

/** Visible ASCII, no leading or trailing space: what every HTTP stack carries in a header unchanged. */
const HEADER_SAFE = /^[\x21-\x7e](?:[\x20-\x7e]*[\x21-\x7e])?$/;

/** Fills defaults and validates; throws `InvalidArgumentError` naming the bad option. */
export function resolveProducerOptions(
  producerId: string,
  options: ProducerOptions,
  url: string,
): ResolvedProducerOptions {
  if (typeof producerId !== 'string' || producerId.length === 0) {
    throw new InvalidArgumentError(
      `producer(producerId) needs a non-empty producer id, got ${describeValue(producerId)}`,
      url,
    );
  }
  if (!HEADER_SAFE.test(producerId)) {
    throw new InvalidArgumentError(
      `producer id '${producerId}' must be visible ASCII without leading or trailing spaces: it travels in the Producer-Id header`,
      url,
    );
  }
  const d = DEFAULT_PRODUCER_OPTIONS;
  const epoch = options.epoch ?? d.epoch;
  if (!Number.isSafeInteger(epoch) || epoch < 0) {
    throw new InvalidArgumentError(`epoch must be a whole number >= 0, got ${epoch}`, url);
  }
  const lingerMs = options.lingerMs ?? d.lingerMs;
  if (!Number.isFinite(lingerMs) || lingerMs < 0) {
    throw new InvalidArgumentError(`lingerMs must be a number of milliseconds >= 0, got ${lingerMs}`, url);
  }
  const deliveryTimeoutMs = options.deliveryTimeoutMs ?? d.deliveryTimeoutMs;
  if (typeof deliveryTimeoutMs !== 'number' || !(deliveryTimeoutMs > 0)) {
    throw new InvalidArgumentError(
      `deliveryTimeoutMs must be a number of milliseconds > 0 (Infinity for no limit), got ${deliveryTimeoutMs}`,
      url,
    );
  }
  const positive = (name: keyof typeof d, value: number | undefined): number => {
    const resolved = value ?? (d[name] as number);
    if (!Number.isSafeInteger(resolved) || resolved <= 0) {
      throw new InvalidArgumentError(`${name} must be a whole number > 0, got ${resolved}`, url);
    }
    return resolved;
  };
  if (options.autoClaim !== undefined && typeof options.autoClaim !== 'boolean') {
    throw new InvalidArgumentError(`autoClaim must be true or false, got ${String(options.autoClaim)}`, url);
  }
  if (
    options.contentType !== undefined &&
    (typeof options.contentType !== 'string' || options.contentType.trim() === '')
  ) {
    throw new InvalidArgumentError(
      `contentType must be a non-empty string, got ${describeValue(options.contentType)}`,
      url,
    );
  }
  if (options.onError !== undefined && typeof options.onError !== 'function') {
    throw new InvalidArgumentError(`onError must be a function, got ${typeof options.onError}`, url);
  }
  if (options.outbox !== undefined && typeof (options.outbox as Partial<ProducerOutbox> | null)?.open !== 'function')
    throw new InvalidArgumentError(
      `outbox must be a ProducerOutbox (an object with open()), such as memoryOutbox(); got ${describeValue(options.outbox)}`,
      url,
    );
  validateDynamicRecord('headers', options.headers);
  validateDynamicRecord('params', options.params);
  if (options.retry !== undefined) resolveRetryConfig(options.retry);
  return {
    producerId,
    epoch,
    autoClaim: options.autoClaim ?? d.autoClaim,
    lingerMs,
    maxBatchBytes: positive('maxBatchBytes', options.maxBatchBytes),
    maxBatchItems: positive('maxBatchItems', options.maxBatchItems),
    maxInFlight: positive('maxInFlight', options.maxInFlight),
    deliveryTimeoutMs,
    maxBufferedMessages: positive('maxBufferedMessages', options.maxBufferedMessages),
    maxBufferedBytes: positive('maxBufferedBytes', options.maxBufferedBytes),
    contentType: options.contentType,
    onError: options.onError,
    outbox: options.outbox,
    request: { headers: options.headers, params: options.params, retry: options.retry },
  };
}
