import {
  asyncScheduler,
  catchError,
  defer,
  EMPTY,
  filter,
  map,
  of,
  repeat,
  takeWhile,
  tap,
  timer,
  throwError,
  timeout,
  type MonoTypeOperatorFunction,
  type Observable,
  type SchedulerLike,
} from 'rxjs';
import { TimeoutError } from '../errors/client-errors.js';
import { DurableStreamError } from '../errors/durable-stream-error.js';
import type { ResolvedReadOptions } from './resolve-read-options.js';
import type { OpenRequest, ReadStep } from './read-step.js';
import { initialReadState, isFinished, mayFallBackFromSse, nextRequest, reduceRead, type ReadEvent } from './read-state.js';
import { retryRead } from './read-retry.js';
import { backoffDelay } from '../retry/retry-with-backoff.js';
import { SseUnavailableError } from './sse-unavailable-error.js';

/** A live request answered sooner than this with nothing new counts as idle (see `idleStreak`). */
const IDLE_RESPONSE_MS = 50;

/** What the composition needs besides the request function. */
export interface ReadLoopConfig<P> {
  readonly url: string;
  readonly options: ResolvedReadOptions;
  /** Timers (backoff, SSE timeouts); tests pass a TestScheduler. */
  readonly scheduler: SchedulerLike | undefined;
  readonly isEmpty: (payload: P) => boolean;
  /** Jitter source, for tests. */
  readonly random?: () => number;
}

/**
 * A whole read, composed from one cold source per request or SSE
 * connection: `defer` picks the next request from the read's state,
 * `retryRead` retries it with backoff (and `onError`), `repeat` continues
 * from the last offset until EOF (or, for `live: false`, until up to date).
 * Every subscription is an independent read with its own state; at any time
 * it holds at most one request and one timer, so a tail of any length does
 * not grow. Unsubscribing aborts the request in flight.
 */
export function readLoop<P>(open: OpenRequest<P>, config: ReadLoopConfig<P>): Observable<ReadStep<P>> {
  const { options } = config;
  const scheduler = config.scheduler ?? asyncScheduler;
  return defer(() => {
    let state = initialReadState(options.start, options);
    /** The one place the state changes: every event goes through the pure reducer. Returns the step to emit, if any. */
    const apply = (event: ReadEvent<P>): ReadStep<P> | undefined => {
      const result = reduceRead(state, event);
      state = result.state;
      return result.emit;
    };

    // Live requests in a row that came back at once with nothing new: a
    // server or proxy that answers a long-poll with an immediate 204, or ends
    // SSE at once, is polled with backoff instead of in a tight loop.
    let idleStreak = 0;

    const attempt = defer(() => {
      const request = nextRequest(state, options.live);
      const { kind } = request;
      const startedAt = scheduler.now();
      let progressed = false;
      const source = open(request);
      const guarded =
        kind === 'sse'
          ? source.pipe(
              guardSse(config, scheduler, {
                canFallBack: () => mayFallBackFromSse(state, options.live),
                fallBack: () => {
                  apply({ type: 'sse-unavailable' });
                  progressed = true; // a switch to long-poll, not an idle answer
                },
              }),
            )
          : source;
      return guarded.pipe(
        // Stop at EOF at once, without waiting for the server to end the connection.
        takeWhile((step) => !step.closed, true),
        map((step) => {
          const emit = apply({ type: 'step', step, kind, hasData: !config.isEmpty(step.payload) });
          if (emit) progressed = true;
          return emit;
        }),
        tap({
          complete: () => {
            const quick = scheduler.now() - startedAt < IDLE_RESPONSE_MS;
            idleStreak = kind !== 'catch-up' && quick && !progressed ? idleStreak + 1 : 0;
          },
        }),
      );
    });
    const next = () =>
      isFinished(state, options.live)
        ? EMPTY
        : idleStreak === 0
          ? of(0)
          : timer(backoffDelay(options.retry, idleStreak, undefined, config.random), scheduler);

    return attempt.pipe(
      retryRead<ReadStep<P> | undefined>({
        retry: options.retry,
        scheduler: config.scheduler,
        onError: options.onError,
        retryWith: (overrides) => apply({ type: 'retry-with', overrides }),
        ...(config.random ? { random: config.random } : {}),
      }),
      repeat({ delay: next }),
      filter((step): step is ReadStep<P> => step !== undefined),
    );
  });
}

/**
 * SSE's own failure modes. A silent connection is reopened after
 * `sseIdleTimeoutMs`. With `'auto'`, until SSE has worked once in this read,
 * signs that it cannot (refused, wrong content type, no first event within
 * `sseFallbackTimeoutMs`) switch the read to long-poll instead of failing.
 */
function guardSse<P>(
  config: ReadLoopConfig<P>,
  scheduler: SchedulerLike,
  fallback: { readonly canFallBack: () => boolean; readonly fallBack: () => void },
): MonoTypeOperatorFunction<ReadStep<P>> {
  const { url, options } = config;
  return (source) =>
    source.pipe(
      timeout({
        first: fallback.canFallBack() ? options.sseFallbackTimeoutMs : options.sseIdleTimeoutMs,
        each: options.sseIdleTimeoutMs,
        scheduler,
        with: ({ seen }) =>
          throwError(() =>
            seen === 0
              ? new SseUnavailableError({ url, reason: 'no-event' })
              : new TimeoutError({ url, timeoutMs: options.sseIdleTimeoutMs, hint: 'The SSE connection went silent; it is reopened from the last offset' }),
          ),
      }),
      catchError((error: unknown) => {
        // Asked when the error comes: a connection that has delivered events proved SSE works.
        if (!fallback.canFallBack() || !refusesSse(error)) return throwError(() => error);
        fallback.fallBack();
        return EMPTY;
      }),
    );
}

/**
 * Errors that say SSE does not work here, rather than something about the
 * stream or the credentials: those (401, 403, 404, 410, 429) would fail a
 * long-poll just the same, so they go to the normal error handling.
 */
function refusesSse(error: unknown): boolean {
  if (error instanceof SseUnavailableError) return true;
  if (!(error instanceof DurableStreamError) || error.status < 400) return false;
  return ![401, 403, 404, 410, 429].includes(error.status);
}
