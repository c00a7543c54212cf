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
  const refuse = (message: string) => new InvalidArgumentError(message, url);
  if (typeof producerId !== 'string' || producerId.length === 0)
    throw refuse(`producer(producerId) needs a non-empty producer id, got ${describeValue(producerId)}`);
  if (!HEADER_SAFE.test(producerId))
    throw refuse(
      `producer id '${producerId}' must be visible ASCII without leading or trailing spaces: it travels in the Producer-Id header`,
    );
  /** The option `name`, or its default: `valid`, else refused as not `what` it must be. */
  const numeric = (name: keyof typeof DEFAULT_PRODUCER_OPTIONS, valid: (value: number) => boolean, what: string) => {
    const value = (options[name] ?? DEFAULT_PRODUCER_OPTIONS[name]) as number;
    if (!valid(value)) throw refuse(`${name} must be ${what}, got ${value}`);
    return value;
  };
  const whole = (name: keyof typeof DEFAULT_PRODUCER_OPTIONS) =>
    numeric(name, (value) => Number.isSafeInteger(value) && value > 0, 'a whole number > 0');
  const epoch = numeric('epoch', (value) => Number.isSafeInteger(value) && value >= 0, 'a whole number >= 0');
  const lingerMs = numeric(
    'lingerMs',
    (value) => Number.isFinite(value) && value >= 0,
    'a number of milliseconds >= 0',
  );
  const deliveryTimeoutMs = numeric(
    'deliveryTimeoutMs',
    (value) => typeof value === 'number' && value > 0,
    'a number of milliseconds > 0 (Infinity for no limit)',
  );
  const { autoClaim = false, contentType, onError, outbox, headers, params, retry } = options;
  if (typeof autoClaim !== 'boolean') throw refuse(`autoClaim must be true or false, got ${String(autoClaim)}`);
  if (contentType !== undefined && (typeof contentType !== 'string' || contentType.trim() === ''))
    throw refuse(`contentType must be a non-empty string, got ${describeValue(contentType)}`);
  if (onError !== undefined && typeof onError !== 'function')
    throw refuse(`onError must be a function, got ${typeof onError}`);
  if (outbox !== undefined && typeof (outbox as Partial<ProducerOutbox> | null)?.open !== 'function')
    throw refuse(
      `outbox must be a ProducerOutbox (an object with open()), such as memoryOutbox(); got ${describeValue(outbox)}`,
    );
  validateDynamicRecord('headers', headers);
  validateDynamicRecord('params', params);
  if (retry !== undefined) resolveRetryConfig(retry);
  return {
    producerId,
    epoch,
    autoClaim,
    lingerMs,
    maxBatchBytes: whole('maxBatchBytes'),
    maxBatchItems: whole('maxBatchItems'),
    maxInFlight: whole('maxInFlight'),
    deliveryTimeoutMs,
    maxBufferedMessages: whole('maxBufferedMessages'),
    maxBufferedBytes: whole('maxBufferedBytes'),
    contentType,
    onError,
    outbox,
    request: { headers, params, retry },
  };
}
