import { DurableStreamError, isRetryable, noteRetries } from '../errors/durable-stream-error.js';
import type { RetryConfig } from '../retry/retry-config.js';
import { backoffDelay, refusal, whyNotRetried } from '../retry/retry-with-backoff.js';
import { isPromiseLike } from '../util/is-promise-like.js';
import type { ReadErrorDecision, ReadErrorHandler, ReadRetryWith } from './read-options.js';

/** What {@link ReadRetries} needs. */
export interface RetryReadConfig {
  readonly retry: RetryConfig;
  /** The clock of the elapsed time an error's message tells. */
  readonly now: () => number;
  readonly onError: ReadErrorHandler | undefined;
  /** Receives the headers and params an `onError` handler asked to retry with. */
  readonly retryWith: (overrides: ReadRetryWith) => void;
  /** Jitter source, for tests. */
  readonly random?: (() => number) | undefined;
  /** Before each retry: the error, the retry's number (1-based), and the wait before it. */
  readonly onRetry: (error: unknown, attempt: number, delayMs: number) => void;
}

export const isRetryWith = (decision: ReadErrorDecision): decision is ReadRetryWith =>
  typeof decision === 'object' && decision !== null;

/** What throws while a failure is handled (onError's answer applied, the state told) fails the read, as in an operator. */
export function orFail(run: () => void, round: Round): void {
  try {
    run();
  } catch (error) {
    round.error(error);
  }
}

/** The round a failure is handled for: ended with the error that ends the read; once closed, told nothing more. */
interface Round {
  readonly closed: boolean;
  error(error: unknown): void;
}

const stopped = (decision: ReadErrorDecision) =>
  decision === 'stop' ? "Not retried: the read's onError answered 'stop'" : undefined;

/**
 * A read's retries, as `retryWithBackoff` makes them (backoff with jitter,
 * Retry-After, `maxRetries`, the error's message saying what was done), with
 * the read's `onError` consulted on each failure: its answer decides whether
 * this error is retried (see `ReadErrorDecision`); the count of consecutive
 * failures bounds it either way, and resets whenever the read moves (a
 * value). One object for the whole read, asked by the read loop when a
 * request fails, where operators around every request would be built anew
 * for each long-poll and kept while it waits. The loop does the waiting.
 */
export class ReadRetries {
  /** Failures since the last value (the retry's number), tries since then, and when the first of those tries began. */
  private failures = 0;
  private tries = 0;
  private since = 0;

  constructor(private readonly config: RetryReadConfig) {}

  /** A try is sent. */
  tried(): void {
    if (this.tries++ === 0) this.since = this.config.now();
  }

  /** The try moved the read, or a round begins: the counts start again. */
  moved(): void {
    this.failures = 0;
    this.tries = 0;
  }

  /**
   * A try failed: `retry(delayMs)` when it is to be tried again after that
   * wait, else `round.error()` with the error that ends the read. With an async
   * `onError`, later, unless the round was left meanwhile (then neither).
   */
  failed(error: unknown, retry: (delayMs: number) => void, round: Round): void {
    const failure = ++this.failures;
    const { onError } = this.config;
    if (!onError || !(error instanceof DurableStreamError)) return this.decide(error, undefined, failure, retry, round);
    const settle = (decision: ReadErrorDecision) => {
      if (isRetryWith(decision)) this.config.retryWith(decision);
      this.decide(error, decision, failure, retry, round);
    };
    // A synchronous answer is applied at once; only a promise waits. A handler that throws (or rejects) hands on its
    // error in place of the request's: it decides as any other failure would.
    let answer: ReturnType<ReadErrorHandler>;
    try {
      answer = onError(error, failure);
    } catch (thrown) {
      return this.decide(thrown, undefined, failure, retry, round);
    }
    if (!isPromiseLike(answer)) return settle(answer);
    answer.then(
      (decision) => {
        if (!round.closed) orFail(() => settle(decision), round);
      },
      (reason: unknown) => {
        if (!round.closed) orFail(() => this.decide(reason, undefined, failure, retry, round), round);
      },
    );
  }

  private decide(
    error: unknown,
    decision: ReadErrorDecision,
    failure: number,
    retry: (delayMs: number) => void,
    round: Round,
  ): void {
    const config = this.config.retry;
    let refused: 'retry-if' | 'retry-after' | undefined;
    if (failure <= config.maxRetries) {
      refused = refusal(config, error, (e) => (decision === 'stop' ? false : isRetryWith(decision) || isRetryable(e)));
      if (!refused) {
        const delayMs = backoffDelay(config, failure, error, this.config.random);
        this.config.onRetry(error, failure, delayMs);
        return retry(delayMs);
      }
    }
    if (!(error instanceof DurableStreamError) || !error.isRetryable) return round.error(error);
    const elapsedMs = this.config.now() - this.since;
    round.error(
      noteRetries(
        error,
        this.tries,
        whyNotRetried(config, error, refused, this.tries, elapsedMs, () => stopped(decision)),
      ),
    );
  }
}
