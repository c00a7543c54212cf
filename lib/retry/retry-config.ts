import { InvalidArgumentError } from '../errors/client-errors.js';

/** How failed requests are retried. */
export interface RetryConfig {
  /**
   * Retries after the first attempt, counted over consecutive failures;
   * 0 disables retrying, `Infinity` never gives up (waits stay capped at
   * `maxDelayMs`). Default 6; a live read's default is `Infinity`.
   */
  readonly maxRetries: number;
  /** The first backoff cap, ms (> 0). Default 100. */
  readonly initialDelayMs: number;
  /** The largest backoff cap, ms (>= initialDelayMs). Default 10 000. */
  readonly maxDelayMs: number;
  /** Growth of the cap per retry (>= 1). Default 2. */
  readonly multiplier: number;
  /** Full jitter: wait a uniform random part of the cap. Default true. */
  readonly jitter: boolean;
  /**
   * The longest `Retry-After` (429, 503) waited out, ms (>= 0; `Infinity`
   * for any). A longer one is not retried: the error, with its
   * `retryAfterMs`, passes through for the caller to decide. Default 60 000.
   */
  readonly maxRetryAfterMs: number;
}

/** The retry policy used where none is given: 6 retries, 100 ms doubling to at most 10 s with full jitter, `Retry-After` waited out up to 60 s. Frozen. */
export const DEFAULT_RETRY: RetryConfig = Object.freeze({
  maxRetries: 6,
  initialDelayMs: 100,
  maxDelayMs: 10_000,
  multiplier: 2,
  jitter: true,
  maxRetryAfterMs: 60_000,
});

/** Configs this module resolved: frozen, so resolving one again gives it back as it is. */
const resolvedConfigs = new WeakSet();

/**
 * Fills defaults and validates; throws `InvalidArgumentError` naming the bad field. A config it resolved comes back as
 * it is (the producer builds a retry per batch).
 */
export function resolveRetryConfig(config: Partial<RetryConfig> = {}): RetryConfig {
  if (resolvedConfigs.has(config)) return config as RetryConfig;
  const resolved: RetryConfig = { ...DEFAULT_RETRY, ...stripUndefined(config) };
  const { maxRetries, initialDelayMs, maxDelayMs, multiplier } = resolved;
  if (!(Number.isInteger(maxRetries) || maxRetries === Infinity) || maxRetries < 0) {
    throw new InvalidArgumentError(`retry.maxRetries must be a whole number >= 0, or Infinity, got ${maxRetries}`);
  }
  if (!Number.isFinite(initialDelayMs) || initialDelayMs <= 0) {
    throw new InvalidArgumentError(`retry.initialDelayMs must be > 0, got ${initialDelayMs}`);
  }
  if (!(maxDelayMs >= initialDelayMs)) {
    throw new InvalidArgumentError(
      `retry.maxDelayMs (${maxDelayMs}) must be >= retry.initialDelayMs (${initialDelayMs})`,
    );
  }
  if (!Number.isFinite(multiplier) || multiplier < 1) {
    throw new InvalidArgumentError(`retry.multiplier must be >= 1, got ${multiplier}`);
  }
  if (!(resolved.maxRetryAfterMs >= 0)) {
    throw new InvalidArgumentError(
      `retry.maxRetryAfterMs must be >= 0 (Infinity for any), got ${resolved.maxRetryAfterMs}`,
    );
  }
  if (typeof resolved.jitter !== 'boolean') {
    throw new InvalidArgumentError(`retry.jitter must be true or false, got ${String(resolved.jitter)}`);
  }
  resolvedConfigs.add(Object.freeze(resolved));
  return resolved;
}

function stripUndefined<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}
