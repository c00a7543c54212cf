import { TestScheduler } from 'rxjs/testing';
import type { ReadStep } from '../../../lib/read/read-step';
import type { JoinDecision } from '../../../lib/read/shared/join-decision';
import { takeTail } from '../../../lib/read/shared/take-tail';
import type { TailSnapshot } from '../../../lib/read/shared/tail-snapshot';

const step = (offset: string, extra: Partial<ReadStep<string>> = {}): ReadStep<string> => ({
  payload: offset,
  offset,
  upToDate: true,
  closed: false,
  ...extra,
});
const snapshot = (s: ReadStep<string>, extra: Partial<TailSnapshot<string>> = {}): TailSnapshot<string> => ({
  from: String(Number(s.offset) - 1),
  step: s,
  ...extra,
});

describe('takeTail (marbles)', () => {
  let scheduler: TestScheduler;
  beforeEach(() => {
    scheduler = new TestScheduler((actual, expected) => expect(actual).toEqual(expected));
  });

  /** A reader that decides by the snapshot's `from`: 'r' rejoin, 's' skip, anything else deliver. */
  const decideBy = (snap: TailSnapshot<string>): JoinDecision<string> =>
    snap.from === 'r'
      ? { kind: 'rejoin' }
      : snap.from === 's'
        ? { kind: 'skip' }
        : { kind: 'deliver', step: snap.step! };

  it('delivers the steps it decides to take, in order, and skips the others', () => {
    scheduler.run(({ hot, expectObservable, expectSubscriptions }) => {
      const a = step('1');
      const b = step('2');
      const source = hot<TailSnapshot<string>>('-a-s-b-', {
        a: snapshot(a),
        s: snapshot(step('9'), { from: 's' }),
        b: snapshot(b),
      });
      expectObservable(source.pipe(takeTail({ decide: decideBy, advance: () => true }))).toBe('-a---b-', { a, b });
      expectSubscriptions(source.subscriptions).toBe('^------');
    });
  });

  it('completes without the step at a rejoin, and leaves the tail', () => {
    scheduler.run(({ hot, expectObservable, expectSubscriptions }) => {
      const a = step('1');
      const source = hot('-a-r-b-', { a: snapshot(a), r: snapshot(step('5'), { from: 'r' }), b: snapshot(step('6')) });
      expectObservable(source.pipe(takeTail({ decide: decideBy, advance: () => true }))).toBe('-a-|', { a });
      expectSubscriptions(source.subscriptions).toBe('^--!');
    });
  });

  it('delivers a step that ends the stream, then completes', () => {
    scheduler.run(({ hot, expectObservable, expectSubscriptions }) => {
      const end = step('1', { closed: true });
      const source = hot('-e-b-', { e: snapshot(end), b: snapshot(step('2')) });
      expectObservable(source.pipe(takeTail({ decide: decideBy, advance: () => true }))).toBe('-(e|)', { e: end });
      expectSubscriptions(source.subscriptions).toBe('^!');
    });
  });

  it('passes on only the steps that advance the reader', () => {
    scheduler.run(({ hot, expectObservable }) => {
      const a = step('1');
      const b = step('2');
      const source = hot('-a-b-', { a: snapshot(a), b: snapshot(b) });
      expectObservable(source.pipe(takeTail({ decide: decideBy, advance: (s) => s !== a }))).toBe('---b-', { b });
    });
  });

  it('tells the tail connection states it hears once joined, not at a rejoin', () => {
    scheduler.run(({ hot, expectObservable }) => {
      const told: string[] = [];
      const a = step('1');
      const source = hot('-a-s-r-', {
        a: snapshot(a, { state: { status: 'live', mode: 'sse' } }),
        s: snapshot(a, { from: 's', state: { status: 'offline' } }),
        r: snapshot(a, { from: 'r', state: { status: 'connecting' } }),
      });
      const taker = takeTail<string>({
        decide: decideBy,
        advance: () => true,
        tell: (state) => told.push(state.status),
      });
      expectObservable(source.pipe(taker)).toBe('-a---|', { a });
      scheduler.flush();
      expect(told).toEqual(['live', 'offline']);
    });
  });

  it('asks with first = true for the first snapshot only, and passes errors on', () => {
    scheduler.run(({ cold, expectObservable }) => {
      const firsts: boolean[] = [];
      const a = step('1');
      const source = cold('ab#', { a: snapshot(a), b: snapshot(step('2')) }, new Error('tail failed'));
      const decide = (snap: TailSnapshot<string>, first: boolean): JoinDecision<string> => {
        firsts.push(first);
        return decideBy(snap);
      };
      expectObservable(source.pipe(takeTail({ decide, advance: () => true }))).toBe(
        'ab#',
        { a, b: step('2') },
        new Error('tail failed'),
      );
      scheduler.flush();
      expect(firsts).toEqual([true, false]);
    });
  });
});
