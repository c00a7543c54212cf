import { Offset, type Checkpoint } from '../protocol/offset.js';
import type { LiveMode } from './read-options.js';
import type { ReadRequestKind, ReadStep } from './read-step.js';

/** Where one read subscription stands. Replaced, never mutated. */
export interface ReadState {
  readonly offset: Offset;
  readonly cursor: string | undefined;
  readonly upToDate: boolean;
  readonly closed: boolean;
  /** Has been up to date once: catch-up is over, live requests follow. */
  readonly caughtUp: boolean;
  /** Whether any step has arrived yet: the first one is always emitted. */
  readonly started: boolean;
  /** `'auto'` mode's finding about SSE: once unavailable, long-poll for the rest of the read. */
  readonly sse: 'untried' | 'working' | 'unavailable';
}

export function initialReadState(start: Checkpoint): ReadState {
  return { offset: start.offset, cursor: start.cursor, upToDate: false, closed: false, caughtUp: false, started: false, sse: 'untried' };
}

/**
 * The next request. Catch-up uses plain reads, which are fast and
 * cacheable; live requests begin once up to date. `Offset.now` goes live
 * at once: the server starts at the tail without a first empty round trip.
 */
export function nextRequestKind(state: ReadState, live: LiveMode): ReadRequestKind {
  if (live === false) return 'catch-up';
  if (!state.caughtUp && state.offset !== Offset.now) return 'catch-up';
  if (live === 'long-poll') return 'long-poll';
  if (live === 'sse') return 'sse';
  return state.sse === 'unavailable' ? 'long-poll' : 'sse';
}

/** The read is over: EOF, or a non-live read has caught up. */
export function isFinished(state: ReadState, live: LiveMode): boolean {
  return state.closed || (live === false && state.upToDate);
}

/**
 * Folds a step into the state, and decides whether subscribers hear of it:
 * only when it changes what they know (data, position, up-to-date, closed).
 * A long-poll 204 or an SSE keep-alive that repeats the known position is
 * not emitted. A step without a cursor keeps the last one.
 */
export function advance<P>(
  state: ReadState,
  step: ReadStep<P>,
  kind: ReadRequestKind,
  hasData: boolean,
): { readonly state: ReadState; readonly emit: ReadStep<P> | undefined } {
  const cursor = step.cursor ?? state.cursor;
  const changed = !state.started || hasData || step.offset !== state.offset || step.upToDate !== state.upToDate || step.closed;
  const next: ReadState = {
    offset: step.offset,
    cursor,
    upToDate: step.upToDate,
    closed: step.closed,
    caughtUp: state.caughtUp || step.upToDate,
    started: true,
    sse: kind === 'sse' ? 'working' : state.sse,
  };
  return { state: next, emit: changed ? (cursor === step.cursor ? step : { ...step, cursor }) : undefined };
}
