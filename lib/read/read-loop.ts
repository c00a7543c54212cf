import {
  asyncScheduler,
  NEVER,
  Observable,
  type MonoTypeOperatorFunction,
  type SchedulerLike,
  type Subscription,
} from 'rxjs';
import type { TimeoutError } from '../errors/client-errors.js';
import { ProtocolError } from '../errors/protocol-error.js';
import type { DurableStreamError } from '../errors/durable-stream-error.js';
import { reconnectsOpenRequests, type Connectivity } from '../retry/connectivity.js';
import { backoffDelay } from '../retry/retry-with-backoff.js';
import type { boundSilence } from './bound-silence.js';
import type { Liveness, LivenessLearning } from './liveness.js';
import { connectionStateTeller } from './connection-state.js';
import type { ResolvedReadOptions } from './resolve-read-options.js';
import type { OpenRequest, ReadRequestKind, ReadStep } from './read-step.js';
import {
  connectionStateOf,
  initialReadState,
  isFinished,
  nextRequest,
  reduceRead,
  type ReadEvent,
  type ReadState,
} from './read-state.js';
import { orFail, ReadRetries } from './read-retry.js';
import type { SettleSteps } from './settle-each.js';

/** A live request answered sooner than this with nothing new counts as idle (see `idleStreak`). */
const IDLE_RESPONSE_MS = 50;

/** Answers in a row that do not move a read forward before it stops with a `ProtocolError`. */
export const MAX_STALLED_ANSWERS = 10;

/** What the composition needs besides the request function. */
export interface ReadLoopConfig<P> {
  readonly url: string;
  readonly options: ResolvedReadOptions;
  /** Timers (backoff, SSE fallback); tests pass a TestScheduler. */
  readonly scheduler: SchedulerLike | undefined;
  readonly isEmpty: (payload: P) => boolean;
  /** Jitter source, for tests. */
  readonly random?: () => number;
  /** The platform's network signals: a wake ends a backoff wait, and may replace a connection presumed dead. */
  readonly connectivity?: Connectivity;
  /**
   * Backpressure, `settleEach(settle)`: each step is emitted only once `settle(step)` completed,
   * and the read goes on (the next request, or the connection's next event)
   * only then. Errors of `settle` end the read, unretried. Used with
   * catch-up and long-poll: an SSE body is not paused, its events wait in memory.
   * Such a read resolves `Offset.now` to the tail's offset (a catch-up
   * request) before its first live request, so the first step it settles is
   * a concrete position: a consumer that saves it and fails on the next
   * batch reads that batch again, instead of starting "from now" once more.
   */
  readonly settle?: SettleSteps<P> | undefined;
  /**
   * What only live requests need, from the code of live reads (a lazy chunk,
   * live-code.ts): SSE's fallback guard and the silence bound. A loop
   * without it sends catch-up requests, or long-polls that their request
   * timeout bounds.
   */
  readonly kit?: LiveKit | undefined;
}

/** What only live requests need (see {@link ReadLoopConfig.kit}). */
export interface LiveKit {
  /**
   * SSE's own failure modes, where the read may still fall back to long-poll (`guardSse`): whether it may is the
   * kit's question of the read's `state()` (`mayFallBackFromSse`); `fallBack()` switches it.
   */
  guardSse<P>(
    url: string,
    options: Pick<ResolvedReadOptions, 'live' | 'sseFallbackTimeoutMs'>,
    scheduler: SchedulerLike,
    read: { readonly state: () => ReadState; readonly fallBack: () => void },
  ): MonoTypeOperatorFunction<ReadStep<P>>;
  readonly boundSilence: typeof boundSilence;
  /** The error of a live request of `kind` left after `ms` without a sign of life: retried like any timeout, from the last offset. */
  silence(url: string, kind: ReadRequestKind, ms: number): TimeoutError;
  /** What the loop learns of the server's keep-alive interval, beside its read state, and the silence it allows. */
  readonly liveness: LivenessLearning;
}

/**
 * A whole read, composed from one cold source per request or SSE
 * connection: each round picks the next request from the read's state
 * (one subscriber per round: an SSE connection keeps it for as long as it
 * lasts, a long-poll tail for all its requests), `ReadRetries` retries it
 * with backoff (and `onError`),
 * and the read goes on from the last offset until EOF (or, for
 * `live: false`, until up to date), as `repeat` would.
 * Every subscription is an independent read with its own state; at any time
 * it holds at most one request and one timer, so a tail of any length does
 * not grow. Unsubscribing aborts the request in flight.
 *
 * Field conditions: a failed request is retried from the last offset (live
 * reads never give up on a retryable failure unless `retry.maxRetries`
 * says so), and catches up before it goes live again; a wake (back online,
 * a page restored, the machine slept) retries at once and replaces a live
 * connection presumed dead; answers that do not move forward are waited
 * out with backoff and stop the read after {@link MAX_STALLED_ANSWERS}; an
 * offset that goes backwards is never taken; data that does not move the
 * offset is never delivered (it would be, again and again): a `ProtocolError`. Where the connection stands is
 * told to `options.connectionState`, derived from these same events.
 */
export function readLoop<P>(open: OpenRequest<P>, config: ReadLoopConfig<P>): Observable<ReadStep<P>> {
  const { options, url, kit } = config;
  const scheduler = config.scheduler ?? asyncScheduler;
  const wakes = config.connectivity?.wakes ?? NEVER;
  return new Observable<ReadStep<P>>((subscriber) => {
    let state = initialReadState(options.start, { ...options, liveFromNow: config.settle === undefined });
    // With the live kit: what the read learned of how often the server proves it is alive (to tell a dead live request from a quiet one).
    let liveness: Liveness | undefined;
    const states = connectionStateTeller(options.connectionState);
    /** The one place the state changes: every event goes through the pure reducers. Returns the step to emit, if any. */
    const apply = (event: ReadEvent<P>): ReadStep<P> | undefined => {
      const before = state;
      const result = reduceRead(state, event);
      state = result.state;
      if (kit) liveness = kit.liveness.learn(liveness, before, event, state);
      return result.emit;
    };
    const tellPosition = () => states.tell(connectionStateOf(state, options.live));
    states.tell({ status: 'connecting' });

    // The last live request left for silence (past its liveness bound): a retry of this error follows a cut, not a failure.
    let silenced: TimeoutError | undefined;

    // What a wake does to the request in flight (one subscription to the wakes for the whole read, not one per request).
    let onWake: (() => void) | undefined;
    // While a failed request waits to be retried: ends the wait (any wake does).
    let retryNow: (() => void) | undefined;

    const retries = new ReadRetries({
      retry: options.retry,
      now: () => scheduler.now(),
      onError: options.onError,
      retryWith: (overrides) => apply({ type: 'retry-with', overrides }),
      onRetry: (error, attempt, delayMs) => {
        apply({ type: 'connection-lost', silentMs: silenced && error === silenced ? silenced.timeoutMs : undefined });
        // Only retryable DurableStreamErrors (or ones onError chose to retry) are retried.
        states.tell(
          config.connectivity?.isOffline()
            ? { status: 'offline' }
            : { status: 'reconnecting', attempt, retryInMs: delayMs, error: error as DurableStreamError },
        );
      },
      random: config.random,
    });

    // Live requests in a row that came back at once with nothing new: a
    // server or proxy that answers a long-poll with an immediate 204, or ends
    // SSE at once, is polled with backoff instead of in a tight loop.
    let idleStreak = 0;

    /**
     * Requests and their steps, in one subscriber: the request the state asks for, left when a wake presumes it dead,
     * ended at EOF, and left when its offset goes back; retried (a new request from where the read stands) after a
     * failure, as `retries` says; followed by the next while they move the read on (a long-poll tail, catch-up pages).
     */
    const attempt = new Observable<ReadStep<P> | undefined>((round) => {
      retries.moved();
      // The request in flight, or the wait before the next.
      let inner: Subscription | undefined;
      const wait = (delayMs: number) => {
        const timer = scheduler.schedule(send, delayMs);
        inner = timer;
        retryNow = () => {
          timer.unsubscribe();
          send();
        };
      };
      const letGo = () => {
        const current = inner;
        inner = undefined;
        current?.unsubscribe();
      };
      function send(): void {
        retryNow = inner = undefined;
        retries.tried();
        const request = nextRequest(state, options.live);
        const { kind } = request;
        const startedAt = scheduler.now();
        // Since when the server has been silent: a long-poll's wait starts when it is sent, an SSE connection's after its first event.
        let provedAt = kind === 'sse' ? undefined : startedAt;
        let progressed = false;
        // Until it fails: a failed request is not woken (its retry's wait is), and is let go before it is retried.
        let failed = false;
        // Ended while it was subscribed to: followed once let go (below).
        let follow = false;
        let subscription: Subscription | undefined;
        const failTry = (error: unknown) => {
          failed = true;
          letGo();
          orFail(() => retries.failed(error, wait, round), round);
        };
        const end = () => {
          const quick = scheduler.now() - startedAt < IDLE_RESPONSE_MS;
          idleStreak = kind !== 'catch-up' && quick && !progressed ? idleStreak + 1 : 0;
          // A request that moved the read on is followed in the same round (a tail's answers leave no round behind
          // each): not after SSE, nor when the next waits (backoff) or settles first, nor at the end.
          if (
            subscriber.closed ||
            kind === 'sse' ||
            config.settle ||
            idleStreak ||
            state.stalls ||
            isFinished(state, options.live)
          )
            return round.complete();
          if (!subscription) return void (follow = true);
          letGo();
          next();
        };
        // After sleep or a network change an open connection is likely dead: leave it for a fresh one, caught up first.
        // (Only while the round runs: a round that ended is not woken, and the next one replaces this.)
        onWake = () => {
          if (round.closed || failed) return;
          apply({ type: 'connection-lost' });
          progressed = true;
          end();
        };
        let source = open(request);
        if (kind === 'sse' && kit)
          source = source.pipe(
            kit.guardSse<P>(url, options, scheduler, {
              state: () => state,
              fallBack: () => {
                apply({ type: 'sse-unavailable' });
                progressed = true; // a switch to long-poll, not an idle answer
                tellPosition();
              },
            }),
          );
        // Silent past what the server's keep-alives promise: presumed dead (a proxy may hold a connection to a dead server).
        // A long-poll hears nothing before its answer, so its bound cannot appear while it waits: none now, none to keep.
        if (kit && kind !== 'catch-up' && (kind === 'sse' || kit.liveness.bound(liveness, kind, options) !== undefined))
          source = source.pipe(
            kit.boundSilence<ReadStep<P>>(
              () => kit.liveness.bound(liveness, kind, options),
              scheduler,
              (ms) => (silenced = kit.silence(url, kind, ms)),
            ),
          );
        subscription = source.subscribe({
          next: (step) => {
            const now = scheduler.now();
            const waitedMs = provedAt === undefined ? undefined : now - provedAt;
            provedAt = now;
            const emit = apply({ type: 'step', step, kind, hasData: !config.isEmpty(step.payload), waitedMs });
            // (Failures like any other: onError is told, and decides as for any error that is not retryable.)
            if (state.repeatedData) return failTry(repeatedDataError(url, state));
            if (state.stalls >= MAX_STALLED_ANSWERS) return failTry(stalledError(url, state));
            if (emit) progressed = true;
            tellPosition();
            // An SSE connection whose offset went backwards is left: the data that follows would repeat what was delivered.
            if (state.wentBackwards) return end();
            retries.moved();
            round.next(emit);
            // Stop at EOF at once, without waiting for the server to end the connection.
            if (step.closed) end();
          },
          error: failTry,
          complete: end,
        });
        // A request that ended while it was sent is let go at once (a retry's wait may have taken its place).
        if (failed || follow || round.closed) subscription.unsubscribe();
        else inner = subscription;
        if (follow) next();
      }
      function next(): void {
        retries.moved();
        send();
      }
      send();
      return () => {
        retryNow = undefined;
        inner?.unsubscribe();
      };
    });
    // After the retries: what settle does is not a request to retry, and a wake never cuts it short.
    const rounds = config.settle ? attempt.pipe(config.settle) : attempt;

    // One round after another, until the read is finished; no progress (stalled answers, idle live answers): the next waits with backoff.
    let current: Subscription | undefined;
    const run = (): void => {
      let round: Subscription | undefined;
      const following = () => {
        // As `repeat`: the round's request is let go before the next is sent.
        round?.unsubscribe();
        // (Not after an unsubscribe from within the round.)
        if (subscriber.closed || isFinished(state, options.live)) return subscriber.complete();
        const streak = Math.max(state.stalls, idleStreak);
        if (streak === 0) run();
        else current = scheduler.schedule(run, backoffDelay(options.retry, streak, undefined, config.random));
      };
      round = rounds.subscribe({
        next: (step) => {
          if (step) subscriber.next(step);
        },
        error: (error: unknown) => subscriber.error(error),
        // A round that ends at once goes on once it is known (below).
        complete: () => round && following(),
      });
      if (subscriber.closed) round.unsubscribe();
      else if (round.closed) following();
      else current = round;
    };
    const wakeSubscription = wakes.subscribe((wake) => {
      if (retryNow) retryNow();
      else if (reconnectsOpenRequests(wake)) onWake?.();
    });
    run();
    return () => {
      current?.unsubscribe();
      wakeSubscription.unsubscribe();
      states.done?.unsubscribe();
    };
  });
}

function stalledError(url: string, state: ReadState): ProtocolError {
  return new ProtocolError({
    url,
    offset: state.offset,
    what: state.wentBackwards
      ? `The server's offsets went backwards, behind where the read stands, in ${state.stalls} answers in a row`
      : `The read's offset did not advance in ${state.stalls} answers in a row, which brought no data and were not up to date`,
    hint: 'The server does not follow the protocol here (PROTOCOL.md 8: offsets only move forward); the read stopped instead of polling it forever',
  });
}

/** Data at the offset the read asked from: not delivered, and not asked for again (it would come again, at once, forever). */
function repeatedDataError(url: string, state: ReadState): ProtocolError {
  return new ProtocolError({
    url,
    offset: state.offset,
    what:
      'The server answered with data but did not advance the offset (Stream-Next-Offset is the offset the read ' +
      'asked from), so every request would deliver the same data again',
    hint:
      'None of it was delivered and the read stopped. Offsets must advance with data (PROTOCOL.md 8); a cache ' +
      'or proxy that ignores the query string answers this way: key it on the full URL, offset included',
  });
}
