import { asyncScheduler, retry, throwError, timer, type MonoTypeOperatorFunction, type SchedulerLike } from 'rxjs';
import { isRetryable } from '../errors/durable-stream-error.js';
import { resolveRetryConfig, type RetryConfig } from './retry-config.js';

/** Extra knobs for {@link retryWithBackoff}. */
export interface RetryWithBackoffOptions {
  /** Which errors to retry; default: `isRetryable` (5xx, 429, network, timeout). */
  readonly retryIf?: (error: unknown) => boolean;
  /** Random source in [0, 1) for jitter; tests pass a fixed one. */
  readonly random?: () => number;
  /** Called before each retry with the error and the attempt number (1-based). */
  readonly onRetry?: (error: unknown, attempt: number, delayMs: number) => void;
}

/**
 * Resubscribes to the source after a retryable error, waiting with
 * exponential backoff and full jitter (or the server's Retry-After on
 * 429/503, up to `maxRetryAfterMs`). Non-retryable errors, a Retry-After
 * longer than that, and the error after `maxRetries` retries, pass
 * through. The count resets after every value the source emits, so a long
 * live read survives any number of separated blips.
 */
export function retryWithBackoff<T>(
  config: Partial<RetryConfig> = {},
  scheduler: SchedulerLike = asyncScheduler,
  options: RetryWithBackoffOptions = {},
): MonoTypeOperatorFunction<T> {
  const resolved = resolveRetryConfig(config);
  const retryIf = options.retryIf ?? isRetryable;
  const random = options.random ?? Math.random;
  return retry<T>({
    count: resolved.maxRetries,
    resetOnSuccess: true,
    delay: (error: unknown, attempt: number) => {
      if (!retryIf(error)) return throwError(() => error);
      // Asked to wait longer than we would: the caller decides, rather than a silent wait of minutes or hours.
      if ((retryAfterOf(error) ?? 0) > resolved.maxRetryAfterMs) return throwError(() => error);
      const delayMs = backoffDelay(resolved, attempt, error, random);
      options.onRetry?.(error, attempt, delayMs);
      return timer(delayMs, scheduler);
    },
  });
}

/**
 * The wait before retry number `attempt` (1-based): the server's Retry-After
 * when it sent one, else a uniform draw from [0, min(maxDelay, initial *
 * multiplier^(attempt-1))] (full jitter), or that cap itself without jitter.
 */
export function backoffDelay(config: RetryConfig, attempt: number, error: unknown, random: () => number = Math.random): number {
  const retryAfterMs = retryAfterOf(error);
  if (retryAfterMs !== undefined) return retryAfterMs;
  const cap = Math.min(config.maxDelayMs, config.initialDelayMs * config.multiplier ** (attempt - 1));
  return config.jitter ? Math.floor(random() * cap) : cap;
}

/** The wait a 429 or 503 asked for (`retryAfterMs`), if any. */
function retryAfterOf(error: unknown): number | undefined {
  const retryAfterMs = (error as { retryAfterMs?: unknown } | null)?.retryAfterMs;
  return typeof retryAfterMs === 'number' && retryAfterMs >= 0 ? retryAfterMs : undefined;
}
