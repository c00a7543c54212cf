import { initialReadState, isFinished, nextRequest, reduceRead, type ReadState } from '../../lib/read/read-state';
import type { ReadStep } from '../../lib/read/read-step';
import { mayFallBackFromSse } from '../../lib/read/sse-guard';

const token = () => 'fresh';
const start = initialReadState(
  { offset: '-1' },
  { headers: { authorization: 'old', 'x-app': 'a' }, params: undefined },
);
const step = (offset: string, extra: Partial<ReadStep<string>> = {}): ReadStep<string> => ({
  payload: '',
  offset,
  cursor: undefined,
  upToDate: false,
  closed: false,
  ...extra,
});
const fold = (state: ReadState, ...steps: Array<ReadStep<string>>) =>
  steps.reduce(
    (s, next) => reduceRead(s, { type: 'step', step: next, kind: 'catch-up', hasData: next.payload !== '' }).state,
    state,
  );

describe('the read state (a pure reducer)', () => {
  it('starts at the checkpoint with the read headers and params, and asks for catch-up first', () => {
    expect(nextRequest(start, 'auto')).toEqual({
      kind: 'catch-up',
      offset: '-1',
      cursor: undefined,
      headers: { authorization: 'old', 'x-app': 'a' },
      params: undefined,
    });
    expect(nextRequest(initialReadState({ offset: 'now' }, start), 'long-poll').kind).toBe('long-poll');
    // Unless it must learn the tail's offset before any data: a catch-up from now, answered at once.
    const resolving = initialReadState({ offset: 'now' }, { ...start, liveFromNow: false });
    expect(nextRequest(resolving, 'long-poll')).toMatchObject({ kind: 'catch-up', offset: 'now' });
    expect(nextRequest(fold(resolving, step('7', { upToDate: true })), 'long-poll')).toMatchObject({
      kind: 'long-poll',
      offset: '7',
    });
  });

  it('emits a step only when it tells something new, and keeps the last cursor when a step has none', () => {
    const first = reduceRead(start, {
      type: 'step',
      step: step('5', { cursor: 'c1' }),
      kind: 'catch-up',
      hasData: false,
    });
    expect(first.emit).toEqual(step('5', { cursor: 'c1' }));
    const same = reduceRead(first.state, { type: 'step', step: step('5'), kind: 'long-poll', hasData: false });
    expect(same.emit).toBeUndefined();
    const moved = reduceRead(same.state, {
      type: 'step',
      step: step('6', { payload: 'x' }),
      kind: 'long-poll',
      hasData: true,
    });
    expect(moved.emit).toEqual(step('6', { payload: 'x', cursor: 'c1' }));
    expect(moved.state.cursor).toBe('c1');
  });

  it("merges onError's headers and params over the read's, for every later request", () => {
    const { state, emit } = reduceRead<string>(start, {
      type: 'retry-with',
      overrides: { headers: { authorization: token }, params: { p: '1' } },
    });
    expect(emit).toBeUndefined();
    const later = fold(state, step('7', { upToDate: true }));
    expect(nextRequest(later, 'long-poll')).toMatchObject({
      kind: 'long-poll',
      offset: '7',
      headers: { authorization: token, 'x-app': 'a' },
      params: { p: '1' },
    });
  });

  it("switches 'auto' to long-poll once SSE is unavailable, and never falls back once SSE has worked", () => {
    const live = fold(start, step('7', { upToDate: true }));
    expect(nextRequest(live, 'auto').kind).toBe('sse');
    expect(mayFallBackFromSse(live, 'auto')).toBe(true);
    expect(mayFallBackFromSse(live, 'sse')).toBe(false);
    const fallen = reduceRead<string>(live, { type: 'sse-unavailable' }).state;
    expect(nextRequest(fallen, 'auto').kind).toBe('long-poll');
    const working = reduceRead(live, { type: 'step', step: step('8'), kind: 'sse', hasData: false }).state;
    expect(mayFallBackFromSse(working, 'auto')).toBe(false);
  });

  it('is finished at EOF, or for a non-live read once up to date', () => {
    const upToDate = fold(start, step('7', { upToDate: true }));
    expect(isFinished(upToDate, false)).toBe(true);
    expect(isFinished(upToDate, 'auto')).toBe(false);
    expect(isFinished(fold(upToDate, step('9', { upToDate: true, closed: true })), 'auto')).toBe(true);
  });

  it('does not take data that leaves the offset where the read asked from: nothing is emitted, the state says why', () => {
    const at5 = fold(start, step('5', { payload: 'x' }));
    const repeated = reduceRead(at5, {
      type: 'step',
      step: step('5', { payload: 'x' }),
      kind: 'long-poll',
      hasData: true,
    });
    expect(repeated.emit).toBeUndefined();
    expect(repeated.state).toEqual({ ...at5, repeatedData: true });
    // Where the read stands is unchanged: the next request (if any) asks from the same offset.
    expect(nextRequest(repeated.state, 'long-poll').offset).toBe('5');
    // From a checkpoint, before any answer, too: data at the offset asked from is data before it.
    const resumed = initialReadState({ offset: '5' }, start);
    expect(
      reduceRead(resumed, { type: 'step', step: step('5', { payload: 'x' }), kind: 'catch-up', hasData: true }).state
        .repeatedData,
    ).toBe(true);
    // Not for the sentinels, which the server resolves, nor for answers without data (those are stalls).
    const fromNow = initialReadState({ offset: 'now' }, start);
    expect(
      reduceRead(fromNow, { type: 'step', step: step('now', { payload: 'x' }), kind: 'sse', hasData: true }).state
        .repeatedData,
    ).toBe(false);
    const empty = reduceRead(at5, { type: 'step', step: step('5'), kind: 'long-poll', hasData: false });
    expect(empty.state).toMatchObject({ repeatedData: false, stalls: 1 });
    // An answer that moves on clears it.
    expect(fold(repeated.state, step('6', { payload: 'y' })).repeatedData).toBe(false);
  });
});
