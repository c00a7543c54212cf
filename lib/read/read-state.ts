import type { DynamicRecord } from '../http/dynamic-values.js';
import { Offset, type Checkpoint } from '../protocol/offset.js';
import type { StreamPosition } from '../protocol/position.js';
import type { ConnectionState } from './connection-state.js';
import type { LiveMode, ReadRetryWith } from './read-options.js';
import type { ReadRequest, ReadRequestKind, ReadStep } from './read-step.js';

/** Where one read subscription stands, and what it sends. Replaced, never mutated, by {@link reduceRead} alone. */
export interface ReadState extends StreamPosition {
  /** Has been up to date once: catch-up is over, live requests follow. */
  readonly caughtUp: boolean;
  /** Whether any step has arrived yet: the first one is always emitted. */
  readonly started: boolean;
  /**
   * A read from `Offset.now` sends its first request live (the server waits
   * at the tail). Without it, a catch-up request resolves `now` to the tail's
   * offset first, answered at once: the read's first step is then a
   * concrete position, before any data.
   */
  readonly liveFromNow: boolean;
  /** `'auto'` mode's finding about SSE: once unavailable, long-poll for the rest of the read. */
  readonly sse: 'untried' | 'working' | 'unavailable';
  /** The read's headers and params, with those an `onError` handler asked to retry with merged over them. */
  readonly headers: DynamicRecord | undefined;
  readonly params: DynamicRecord | undefined;
  /**
   * Answers in a row that did not move the read forward: an offset that went
   * backwards (not taken), or the same offset without data and without
   * up-to-date. Reads wait with backoff after one, and stop after a bound.
   */
  readonly stalls: number;
  /** The last answer's offset went backwards: it was not taken (an SSE connection is left, what follows it would repeat data). */
  readonly wentBackwards: boolean;
  /**
   * The last answer carried data but left the offset where the read stood:
   * taking it would deliver that data again on every request, so it was not
   * taken and the read ends with a `ProtocolError`.
   */
  readonly repeatedData: boolean;
}

/**
 * What changes a read's state:
 * - `step`: a response, or an SSE control event, arrived from a request of
 *   `kind`, `waitedMs` after the request was sent (a long-poll) or after the
 *   connection's previous event (SSE; none for its first event);
 * - `sse-unavailable`: SSE does not get through (`'auto'` mode): long-poll from now on;
 * - `retry-with`: an `onError` handler asked to retry with these headers and params;
 * - `connection-lost`: a request failed, or the connection is presumed dead
 *   (the machine slept, the network came back, or it stayed silent
 *   `silentMs`, past its liveness bound): the read catches up with
 *   plain requests before it goes live again, which are answered at once
 *   (so it knows at once it is back) and cacheable (so many readers
 *   returning after an outage are cheap).
 *
 * `waitedMs` and `silentMs` are for what a live loop learns of the server's
 * keep-alive interval (`learnLiveness`, in the code of live reads): the
 * reducer itself does not use them.
 */
export type ReadEvent<P> =
  | {
      readonly type: 'step';
      readonly step: ReadStep<P>;
      readonly kind: ReadRequestKind;
      readonly hasData: boolean;
      readonly waitedMs?: number | undefined;
    }
  | { readonly type: 'sse-unavailable' }
  | { readonly type: 'retry-with'; readonly overrides: ReadRetryWith }
  | { readonly type: 'connection-lost'; readonly silentMs?: number | undefined };

/** A `step` event. */
type StepEvent<P> = Extract<ReadEvent<P>, { type: 'step' }>;

export function initialReadState(
  start: Checkpoint,
  request: {
    readonly headers: DynamicRecord | undefined;
    readonly params: DynamicRecord | undefined;
    readonly startsLive?: boolean;
    /** Default true; see {@link ReadState.liveFromNow}. */
    readonly liveFromNow?: boolean;
  },
): ReadState {
  return {
    offset: start.offset,
    cursor: start.cursor,
    upToDate: false,
    closed: false,
    caughtUp: request.startsLive ?? false,
    started: false,
    liveFromNow: request.liveFromNow ?? true,
    sse: 'untried',
    headers: request.headers,
    params: request.params,
    stalls: 0,
    wentBackwards: false,
    repeatedData: false,
  };
}

/**
 * The next request. Catch-up uses plain reads, which are fast and
 * cacheable; live requests begin once up to date. `Offset.now` goes live
 * at once (unless `liveFromNow` is off): the server starts at the tail
 * without a first empty round trip.
 */
export function nextRequest(state: ReadState, live: LiveMode): ReadRequest {
  return {
    kind: nextRequestKind(state, live),
    offset: state.offset,
    cursor: state.cursor,
    headers: state.headers,
    params: state.params,
  };
}

function nextRequestKind(state: ReadState, live: LiveMode): ReadRequestKind {
  if (live === false) return 'catch-up';
  if (!state.caughtUp && !(state.offset === Offset.now && state.liveFromNow)) return 'catch-up';
  if (live === 'long-poll') return 'long-poll';
  if (live === 'sse') return 'sse';
  return state.sse === 'unavailable' ? 'long-poll' : 'sse';
}

/** Where the read's connection stands, as far as its position tells: closed, live (and how), or catching up. */
export function connectionStateOf(state: ReadState, live: LiveMode): ConnectionState {
  if (state.closed) return { status: 'closed' };
  if (!state.caughtUp || live === false) return { status: 'catching-up' };
  return { status: 'live', mode: nextRequestKind(state, live) === 'sse' ? 'sse' : 'long-poll' };
}

/** The read is over: EOF, or a non-live read has caught up. */
export function isFinished(state: ReadState, live: LiveMode): boolean {
  return state.closed || (live === false && state.upToDate);
}

/**
 * Folds an event into the state. Pure. For a step, also decides whether
 * subscribers hear of it: only when it changes what they know (data,
 * position, up-to-date, closed). A long-poll 204 or an SSE keep-alive that
 * repeats the known position is not emitted. A step without a cursor keeps
 * the last one.
 */
export function reduceRead<P>(
  state: ReadState,
  event: ReadEvent<P>,
): { readonly state: ReadState; readonly emit: ReadStep<P> | undefined } {
  switch (event.type) {
    case 'sse-unavailable':
      return { state: { ...state, sse: 'unavailable' }, emit: undefined };
    case 'retry-with':
      return {
        state: {
          ...state,
          headers: merge(state.headers, event.overrides.headers),
          params: merge(state.params, event.overrides.params),
        },
        emit: undefined,
      };
    case 'connection-lost':
      return { state: { ...state, caughtUp: false }, emit: undefined };
    case 'step':
      return advance(state, event);
  }
}

function advance<P>(
  state: ReadState,
  event: StepEvent<P>,
): { readonly state: ReadState; readonly emit: ReadStep<P> | undefined } {
  const { step, kind, hasData } = event;
  // Offsets sort lexicographically (PROTOCOL.md 8): one before where the read stands would deliver data twice.
  if (isServerOffset(state.offset) && step.offset < state.offset) {
    return { state: { ...state, stalls: state.stalls + 1, wentBackwards: true }, emit: undefined };
  }
  // Offsets strictly increase with data (PROTOCOL.md 8): data at the offset the read asked from is data it would ask for again.
  if (hasData && isServerOffset(state.offset) && step.offset === state.offset) {
    return { state: { ...state, repeatedData: true }, emit: undefined };
  }
  const cursor = step.cursor ?? state.cursor;
  const changed =
    !state.started || hasData || step.offset !== state.offset || step.upToDate !== state.upToDate || step.closed;
  const stalled = state.started && !hasData && !step.upToDate && !step.closed && step.offset === state.offset;
  const next: ReadState = {
    offset: step.offset,
    cursor,
    upToDate: step.upToDate,
    closed: step.closed,
    caughtUp: state.caughtUp || step.upToDate,
    started: true,
    liveFromNow: state.liveFromNow,
    sse: kind === 'sse' ? 'working' : state.sse,
    headers: state.headers,
    params: state.params,
    stalls: stalled ? state.stalls + 1 : 0,
    wentBackwards: false,
    repeatedData: false,
  };
  return { state: next, emit: changed ? (cursor === step.cursor ? step : { ...step, cursor }) : undefined };
}

/** Not one of the sentinels (`-1`, `now`): an offset the server minted, comparable with another. */
const isServerOffset = (offset: string): boolean => offset !== Offset.beginning && offset !== Offset.now;

function merge(base: DynamicRecord | undefined, over: DynamicRecord | undefined): DynamicRecord | undefined {
  return over === undefined ? base : { ...base, ...over };
}
