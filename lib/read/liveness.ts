import type { ReadEvent, ReadState } from './read-state.js';
import type { ReadRequestKind } from './read-step.js';
import type { ResolvedReadOptions } from './resolve-read-options.js';

/**
 * How a live read tells a dead connection from a quiet one. A server proves
 * it is alive at an interval of its own: the reference server sends a
 * keep-alive control event on an idle SSE connection, and answers an idle
 * long-poll, every `longPollTimeout` (30 s by default). A read learns that
 * interval from what it sees, and a live request silent for
 * {@link LIVENESS_FACTOR} times it is presumed dead: behind a proxy that
 * keeps the client's connection open after the server died, nothing else
 * would tell. Pure: a live loop holds a `Liveness` beside its read state,
 * folds the read's events into it ({@link learnLiveness}) and times. Only
 * live requests use it, so it is code of live reads (a lazy chunk, see
 * live-code.ts), lent to a loop in its kit ({@link livenessLearning}).
 */
export interface Liveness {
  /** The longest interval seen between the server's proofs of life, ms; undefined until one was seen. */
  readonly heartbeatMs: number | undefined;
  /** The read left a live request silent this long; cleared by the next answer or failure. */
  readonly cutAfterMs: number | undefined;
}

/** A live request may be silent this many heartbeats before it is presumed dead. */
export const LIVENESS_FACTOR = 1.5;
/** The shortest bound, ms, however often the server proves it is alive: latency varies, a mobile network's most. */
export const MIN_LIVENESS_BOUND_MS = 5_000;
/** A wait shorter than this was an answer at once, not the server's timed wait: it tells nothing of the interval. */
export const MIN_HEARTBEAT_MS = 1_000;

export const unknownLiveness: Liveness = { heartbeatMs: undefined, cutAfterMs: undefined };

/**
 * The server proved it is alive after `waitedMs` without anything to send
 * (a keep-alive, an idle long-poll's answer): the interval is at least
 * that. The longest one seen counts: a late proof lengthens the bound, an
 * early one (a proxy that joined a wait under way) never shortens it.
 */
export function heardHeartbeat(liveness: Liveness, waitedMs: number): Liveness {
  if (waitedMs < MIN_HEARTBEAT_MS || waitedMs <= (liveness.heartbeatMs ?? 0)) return liveness;
  return { ...liveness, heartbeatMs: waitedMs };
}

/** The read left a live request after `boundMs` of silence. */
export function leftSilent(liveness: Liveness, boundMs: number): Liveness {
  return { ...liveness, cutAfterMs: boundMs };
}

/** A request failed: whatever the server was before, the read now knows it is unreachable. */
export function requestFailed(liveness: Liveness): Liveness {
  return liveness.cutAfterMs === undefined ? liveness : { ...liveness, cutAfterMs: undefined };
}

/**
 * An answer came. Right after a request was left for silence, without a
 * failure between, the server was alive all along: the bound was too short
 * (the server's interval grew, a proxy held the proof back), so the
 * interval is taken to be at least the bound that cut it, and the next
 * bound is longer.
 */
export function answered(liveness: Liveness): Liveness {
  if (liveness.cutAfterMs === undefined) return liveness;
  return { heartbeatMs: Math.max(liveness.heartbeatMs ?? 0, liveness.cutAfterMs), cutAfterMs: undefined };
}

/**
 * How long a live request may stay silent, ms: {@link LIVENESS_FACTOR}
 * times the interval learned, at least {@link MIN_LIVENESS_BOUND_MS};
 * undefined while nothing is learned or when that reaches `ceilingMs` (the
 * request's own timeout bounds it then).
 */
export function livenessBoundMs(liveness: Liveness, ceilingMs: number): number | undefined {
  if (liveness.heartbeatMs === undefined) return undefined;
  const bound = Math.max(MIN_LIVENESS_BOUND_MS, Math.ceil(liveness.heartbeatMs * LIVENESS_FACTOR));
  return bound < ceilingMs ? bound : undefined;
}

/**
 * Folds one of the read's events into what it knows of the server's
 * liveness (undefined: nothing known yet): `before` and `after` are the
 * read's state around the event (`reduceRead`'s). An answer is a
 * sign of life; a live one that brought nothing new after a wait (an idle
 * long-poll's answer, an SSE keep-alive) shows how long the server waits
 * before it proves it is alive. A lost connection clears a cut (a
 * failure), or records one (left after `silentMs` of silence).
 */
export function learnLiveness<P>(
  liveness: Liveness = unknownLiveness,
  before: ReadState,
  event: ReadEvent<P>,
  after: ReadState,
): Liveness {
  if (event.type === 'connection-lost')
    return event.silentMs === undefined ? requestFailed(liveness) : leftSilent(liveness, event.silentMs);
  // An answer the read did not take (an offset that went backwards, data that did not move it) tells nothing.
  if (event.type !== 'step' || after.wentBackwards || after.repeatedData) return liveness;
  const { step, kind, hasData, waitedMs } = event;
  const answer = answered(liveness);
  const keepAlive =
    kind !== 'catch-up' &&
    before.caughtUp &&
    !hasData &&
    step.upToDate &&
    !step.closed &&
    step.offset === before.offset &&
    waitedMs !== undefined;
  return keepAlive ? heardHeartbeat(answer, waitedMs) : answer;
}

/**
 * How long the next live request of `kind` may stay silent before the read
 * presumes it dead, ms: learned (see `livenessBoundMs`), unless the read's
 * options fixed that kind's timeout; undefined when the request's own
 * timeout bounds it (nothing learned yet, a fixed option, catch-up).
 */
export function livenessBound(
  liveness: Liveness = unknownLiveness,
  kind: ReadRequestKind,
  options: Pick<ResolvedReadOptions, 'learnsLiveness' | 'longPollTimeoutMs' | 'sseIdleTimeoutMs'>,
): number | undefined {
  if (kind === 'catch-up') return undefined;
  if (kind === 'sse')
    return options.learnsLiveness.sse ? livenessBoundMs(liveness, options.sseIdleTimeoutMs) : undefined;
  return options.learnsLiveness.longPoll ? livenessBoundMs(liveness, options.longPollTimeoutMs) : undefined;
}

/** What a live loop's kit lends it of this module (see `LiveKit`). */
export interface LivenessLearning {
  readonly learn: typeof learnLiveness;
  readonly bound: typeof livenessBound;
}

export const livenessLearning: LivenessLearning = { learn: learnLiveness, bound: livenessBound };
