import {
  answered,
  heardHeartbeat,
  learnLiveness,
  leftSilent,
  livenessBound,
  livenessBoundMs,
  MIN_LIVENESS_BOUND_MS,
  requestFailed,
  unknownLiveness,
  type Liveness,
} from '../../lib/read/liveness';
import { initialReadState, reduceRead, type ReadEvent, type ReadState } from '../../lib/read/read-state';
import type { ReadRequestKind, ReadStep } from '../../lib/read/read-step';

const CEILING = 90_000;

describe('liveness (pure)', () => {
  it('bounds nothing until the server was seen to prove it is alive, then 1.5 times its interval', () => {
    expect(livenessBoundMs(unknownLiveness, CEILING)).toBeUndefined();
    expect(livenessBoundMs(heardHeartbeat(unknownLiveness, 30_000), CEILING)).toBe(45_000);
  });

  it('keeps the bound between a floor and the ceiling (where the request timeout takes over)', () => {
    expect(livenessBoundMs(heardHeartbeat(unknownLiveness, 2_000), CEILING)).toBe(MIN_LIVENESS_BOUND_MS);
    expect(livenessBoundMs(heardHeartbeat(unknownLiveness, 60_000), CEILING)).toBeUndefined();
    expect(livenessBoundMs(heardHeartbeat(unknownLiveness, 59_000), CEILING)).toBe(88_500);
  });

  it('learns the longest interval: an early proof never shortens the bound, an answer at once is no heartbeat', () => {
    const at30 = heardHeartbeat(unknownLiveness, 30_000);
    expect(heardHeartbeat(at30, 5_000)).toBe(at30);
    expect(heardHeartbeat(at30, 31_000).heartbeatMs).toBe(31_000);
    expect(heardHeartbeat(unknownLiveness, 20)).toBe(unknownLiveness);
  });

  it('after a cut answered at once (the server was alive), takes the interval to be at least the bound that cut', () => {
    const at10: Liveness = heardHeartbeat(unknownLiveness, 10_000);
    const cut = leftSilent(at10, 15_000);
    expect(answered(cut)).toEqual({ heartbeatMs: 15_000, cutAfterMs: undefined });
    expect(livenessBoundMs(answered(cut), CEILING)).toBe(22_500);
    // A failure between says the cut was right: nothing is learned from the answer after it.
    expect(answered(requestFailed(cut))).toEqual(at10);
    expect(answered(at10)).toBe(at10);
  });
});

describe("liveness learned from the read's events (a pure reducer beside the read state's)", () => {
  const options = {
    learnsLiveness: { longPoll: true, sse: true },
    longPollTimeoutMs: 61_000,
    sseIdleTimeoutMs: 61_000,
  };
  const step = (offset: string, extra: Partial<ReadStep<string>> = {}): ReadStep<string> => ({
    payload: '',
    offset,
    cursor: undefined,
    upToDate: true,
    closed: false,
    ...extra,
  });
  /** A read's state and its liveness, as a live loop holds them. */
  interface Read {
    readonly state: ReadState;
    readonly liveness: Liveness;
  }
  const apply = ({ state, liveness }: Read, event: ReadEvent<string>): Read => {
    const after = reduceRead(state, event).state;
    return { state: after, liveness: learnLiveness(liveness, state, event, after) };
  };
  const on = (read: Read, s: ReadStep<string>, kind: ReadRequestKind, waitedMs?: number) =>
    apply(read, { type: 'step', step: s, kind, hasData: s.payload !== '', waitedMs });
  const start: Read = {
    state: initialReadState({ offset: '-1' }, { headers: undefined, params: undefined }),
    liveness: unknownLiveness,
  };
  const live = on(start, step('5'), 'catch-up');

  it('learns from an idle long-poll answer and an SSE keep-alive: live, no data, up to date, the same offset', () => {
    expect(on(live, step('5'), 'long-poll', 30_000).liveness.heartbeatMs).toBe(30_000);
    expect(on(live, step('5'), 'sse', 30_000).liveness.heartbeatMs).toBe(30_000);
    expect(livenessBound(on(live, step('5'), 'sse', 30_000).liveness, 'sse', options)).toBe(45_000);
  });

  it("learns nothing from data, a new offset, a catch-up, an unmeasured wait (an SSE connection's first event) or EOF", () => {
    expect(on(live, step('6', { payload: 'x' }), 'long-poll', 29_000).liveness.heartbeatMs).toBeUndefined();
    expect(on(live, step('6'), 'sse', 29_000).liveness.heartbeatMs).toBeUndefined();
    expect(on(live, step('5'), 'catch-up', 29_000).liveness.heartbeatMs).toBeUndefined();
    expect(on(live, step('5'), 'sse').liveness.heartbeatMs).toBeUndefined();
    expect(on(live, step('5', { closed: true }), 'long-poll', 29_000).liveness.heartbeatMs).toBeUndefined();
  });

  it('bounds only live requests, and not a kind whose timeout the options fixed', () => {
    const learned = on(live, step('5'), 'long-poll', 30_000).liveness;
    expect(livenessBound(learned, 'catch-up', options)).toBeUndefined();
    expect(livenessBound(learned, 'long-poll', { ...options, learnsLiveness: { longPoll: false, sse: true } })).toBe(
      undefined,
    );
    expect(livenessBound(learned, 'sse', { ...options, learnsLiveness: { longPoll: false, sse: true } })).toBe(45_000);
  });

  it('a connection lost for silence, then an answer: the bound grows; lost for a failure: it stays', () => {
    const learned = on(live, step('5'), 'long-poll', 10_000);
    const cut = apply(learned, { type: 'connection-lost', silentMs: 15_000 });
    expect(on(cut, step('5'), 'catch-up').liveness.heartbeatMs).toBe(15_000);
    // An answer the read did not take (its offset went backwards) is not the answer that proves the cut wrong.
    expect(on(cut, step('4'), 'catch-up').liveness).toEqual(cut.liveness);
    const failed = apply(cut, { type: 'connection-lost' });
    expect(on(failed, step('5'), 'catch-up').liveness.heartbeatMs).toBe(10_000);
  });
});
