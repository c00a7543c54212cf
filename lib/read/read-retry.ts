import {
  catchError,
  defer,
  from,
  mergeMap,
  tap,
  throwError,
  type MonoTypeOperatorFunction,
  type Observable,
  type SchedulerLike,
} from 'rxjs';
import { DurableStreamError, isRetryable } from '../errors/durable-stream-error.js';
import type { RetryConfig } from '../retry/retry-config.js';
import { retryWithBackoff } from '../retry/retry-with-backoff.js';
import { isPromiseLike } from '../util/is-promise-like.js';
import type { ReadErrorDecision, ReadErrorHandler, ReadRetryWith } from './read-options.js';

/** What {@link retryRead} needs. */
export interface RetryReadConfig {
  readonly retry: RetryConfig;
  readonly scheduler: SchedulerLike | undefined;
  readonly onError: ReadErrorHandler | undefined;
  /** Receives the headers and params an `onError` handler asked to retry with. */
  readonly retryWith: (overrides: ReadRetryWith) => void;
  /** Jitter source, for tests. */
  readonly random?: () => number;
  /** Before each retry: the error, the retry's number (1-based), and the wait before it. */
  readonly onRetry: (error: unknown, attempt: number, delayMs: number) => void;
  /** Ends a wait early when it emits (the network is back, the machine woke). */
  readonly wake: Observable<unknown>;
}

export const isRetryWith = (decision: ReadErrorDecision): decision is ReadRetryWith =>
  typeof decision === 'object' && decision !== null;

/**
 * `retryWithBackoff` with the read's `onError` consulted on each failure:
 * its answer decides whether this error is retried (see
 * `ReadErrorDecision`); the count of consecutive failures bounds it either
 * way, and resets whenever the source emits.
 */
export function retryRead<T>(config: RetryReadConfig): MonoTypeOperatorFunction<T> {
  const { onError } = config;
  return (source) =>
    defer(() => {
      let attempt = 0;
      let decision: ReadErrorDecision;
      const consult = (error: unknown): Observable<never> => {
        attempt += 1;
        decision = undefined;
        if (!onError || !(error instanceof DurableStreamError)) return throwError(() => error);
        const settle = (answer: ReadErrorDecision): Observable<never> => {
          decision = answer;
          if (isRetryWith(answer)) config.retryWith(answer);
          return throwError(() => error);
        };
        // A synchronous answer is applied at once; only a promise waits.
        const answer = onError(error, attempt);
        return isPromiseLike(answer) ? from(answer).pipe(mergeMap(settle)) : settle(answer);
      };
      // Without onError, nothing to count or consult: a live tail keeps these operators for as long as it reads.
      return (
        onError
          ? source.pipe(
              tap(() => (attempt = 0)),
              catchError(consult),
            )
          : source
      ).pipe(
        retryWithBackoff<T>(config.retry, config.scheduler, {
          retryIf: (error) => (decision === 'stop' ? false : isRetryWith(decision) || isRetryable(error)),
          ...(config.random ? { random: config.random } : {}),
          onRetry: config.onRetry,
          wake: config.wake,
          notRetried: () => (decision === 'stop' ? "Not retried: the read's onError answered 'stop'" : undefined),
        }),
      );
    });
}
