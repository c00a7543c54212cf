import {
  asyncScheduler,
  catchError,
  defer,
  race,
  retry,
  take,
  tap,
  throwError,
  timer,
  type MonoTypeOperatorFunction,
  type Observable,
  type SchedulerLike,
} from 'rxjs';
import { DurableStreamError, isRetryable, noteRetries } from '../errors/durable-stream-error.js';
import { resolveRetryConfig, type RetryConfig } from './retry-config.js';

/** Extra knobs for {@link retryWithBackoff}. */
export interface RetryWithBackoffOptions {
  /** Which errors to retry; default: `isRetryable` (5xx, 408, 429, network, timeout). */
  readonly retryIf?: (error: unknown) => boolean;
  /** Random source in [0, 1) for jitter; tests pass a fixed one. */
  readonly random?: () => number;
  /** Called before each retry with the error and the attempt number (1-based). */
  readonly onRetry?: (error: unknown, attempt: number, delayMs: number) => void;
  /** Ends a wait early when it emits: retry now (the network is back, the machine woke). */
  readonly wake?: Observable<unknown>;
  /**
   * Says, in a sentence for the error message, why a retryable error that
   * `retryIf` refused was not retried (e.g. a write that may have been applied).
   */
  readonly notRetried?: (error: DurableStreamError) => string | undefined;
}

/**
 * Resubscribes to the source after a retryable error, waiting with
 * exponential backoff and full jitter (or the server's Retry-After on
 * 429/503, up to `maxRetryAfterMs`), capped at `maxDelayMs`; with
 * `maxRetries: Infinity` it never gives up. A `wake` emission ends a wait
 * early. Non-retryable errors, a Retry-After longer than allowed, and the
 * error after `maxRetries` retries, pass through; when it was retryable, its
 * message then says truthfully what was done (tried how often, over how
 * long, or why not retried) and `error.attempts` how often it was tried.
 * The count resets after every value the source emits, so a long live read
 * survives any number of separated blips.
 */
export function retryWithBackoff<T>(
  config: Partial<RetryConfig> = {},
  scheduler: SchedulerLike = asyncScheduler,
  options: RetryWithBackoffOptions = {},
): MonoTypeOperatorFunction<T> {
  const resolved = resolveRetryConfig(config);
  const retryIf = options.retryIf ?? isRetryable;
  const random = options.random ?? Math.random;
  const wait = (delayMs: number): Observable<unknown> =>
    options.wake ? race(timer(delayMs, scheduler), options.wake.pipe(take(1))) : timer(delayMs, scheduler);
  return (source) =>
    defer(() => {
      // Tries since the last value, when the first of them began, and why an error was let through.
      let attempts = 0;
      let since = scheduler.now();
      let refused: 'retry-if' | 'retry-after' | undefined;
      return defer(() => {
        if (attempts++ === 0) since = scheduler.now();
        refused = undefined;
        return source;
      }).pipe(
        tap(() => (attempts = 0)),
        retry<T>({
          count: resolved.maxRetries,
          resetOnSuccess: true,
          delay: (error: unknown, attempt: number) => {
            refused = refusal(resolved, error, retryIf);
            if (refused) return throwError(() => error);
            const delayMs = backoffDelay(resolved, attempt, error, random);
            options.onRetry?.(error, attempt, delayMs);
            return wait(delayMs);
          },
        }),
        catchError((error: unknown) => {
          if (!(error instanceof DurableStreamError) || !error.isRetryable) return throwError(() => error);
          return throwError(() =>
            noteRetries(
              error,
              attempts,
              whyNotRetried(resolved, error, refused, attempts, scheduler.now() - since, options.notRetried),
            ),
          );
        }),
      );
    });
}

/** Why `error` is not to be retried, if it is not: `retryIf` refused it, or it asked for a longer wait than allowed. */
export function refusal(
  config: RetryConfig,
  error: unknown,
  retryIf: (error: unknown) => boolean,
): 'retry-if' | 'retry-after' | undefined {
  if (!retryIf(error)) return 'retry-if';
  // Asked to wait longer than we would: the caller decides, rather than a silent wait of minutes or hours.
  return (retryAfterOf(error) ?? 0) > config.maxRetryAfterMs ? 'retry-after' : undefined;
}

/** Why a retryable error was let through, for its message: refused, out of retries, or never retried. */
export function whyNotRetried(
  config: RetryConfig,
  error: DurableStreamError,
  refused: 'retry-if' | 'retry-after' | undefined,
  attempts: number,
  elapsedMs: number,
  notRetried: ((error: DurableStreamError) => string | undefined) | undefined,
): string | undefined {
  if (refused === 'retry-if') return notRetried?.(error);
  if (refused === 'retry-after') {
    const asked = seconds(retryAfterOf(error) ?? 0);
    return `Not retried: the server asked to wait ${asked}, longer than retry.maxRetryAfterMs (${seconds(config.maxRetryAfterMs)})`;
  }
  if (attempts <= 1) return 'Not retried (retry.maxRetries is 0)';
  return `Failed ${attempts} attempts over ${seconds(elapsedMs)}; gave up (retry.maxRetries is ${config.maxRetries})`;
}

const seconds = (ms: number): string => `${(ms / 1000).toFixed(ms < 10_000 ? 1 : 0)} s`;

/**
 * The wait before retry number `attempt` (1-based): the server's Retry-After
 * when it sent one, else a uniform draw from [0, min(maxDelay, initial *
 * multiplier^(attempt-1))] (full jitter), or that cap itself without jitter.
 */
export function backoffDelay(
  config: RetryConfig,
  attempt: number,
  error: unknown,
  random: () => number = Math.random,
): number {
  const retryAfterMs = retryAfterOf(error);
  if (retryAfterMs !== undefined) return retryAfterMs;
  const cap = Math.min(config.maxDelayMs, config.initialDelayMs * config.multiplier ** (attempt - 1));
  return config.jitter ? Math.floor(random() * cap) : cap;
}

/** The wait a 429 or 503 asked for (`retryAfterMs`), if any. */
export function retryAfterOf(error: unknown): number | undefined {
  const retryAfterMs = (error as { retryAfterMs?: unknown } | null)?.retryAfterMs;
  return typeof retryAfterMs === 'number' && retryAfterMs >= 0 ? retryAfterMs : undefined;
}
