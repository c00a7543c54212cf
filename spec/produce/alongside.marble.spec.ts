import { defer, EMPTY, Subject, tap } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { alongside } from '../../lib/produce/alongside';

describe('alongside', () => {
  let scheduler: TestScheduler;
  beforeEach(() => (scheduler = new TestScheduler((actual, expected) => expect(actual).toEqual(expected))));

  it('mirrors the source and runs the sides while it runs, ignoring their values', () => {
    scheduler.run(({ cold, hot, expectObservable, expectSubscriptions }) => {
      const seen: string[] = [];
      const side = hot('-x---y---z-').pipe(tap((value) => seen.push(value)));
      const source = cold('--a--b--|');
      expectObservable(source.pipe(alongside(side))).toBe('--a--b--|');
      scheduler.flush();
      // z comes after the source completed: the side was ended with it.
      expect(seen).toEqual(['x', 'y']);
      expectSubscriptions(source.subscriptions).toBe('^-------!');
    });
  });

  it('ends the sides when the source completes', () => {
    scheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
      const side = cold('-----------x');
      expectObservable(cold('---|').pipe(alongside(side))).toBe('---|');
      expectSubscriptions(side.subscriptions).toBe('^--!');
    });
  });

  it('fails with a side that fails, ending the source', () => {
    scheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
      const source = cold('a---b---|');
      expectObservable(source.pipe(alongside(cold('--#')))).toBe('a-#');
      expectSubscriptions(source.subscriptions).toBe('^-!');
    });
  });

  it('subscribes the source before the sides, so what a side makes the source emit at once is heard', () => {
    scheduler.run(({ expectObservable }) => {
      const source = new Subject<string>();
      const side = defer(() => {
        source.next('a');
        return EMPTY;
      });
      expectObservable(source.pipe(alongside(side))).toBe('a');
    });
  });

  it('subscribes a cold source once, even when it completes at once', () => {
    scheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
      const source = cold('(ab|)');
      expectObservable(source.pipe(alongside(cold('---x')))).toBe('(ab|)');
      expectSubscriptions(source.subscriptions).toBe('(^!)');
    });
  });

  it('unsubscribes source and sides together', () => {
    scheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
      const source = cold('a-------b');
      const side = cold('----------');
      expectObservable(source.pipe(alongside(side)), '^---!').toBe('a---');
      expectSubscriptions(source.subscriptions).toBe('^---!');
      expectSubscriptions(side.subscriptions).toBe('^---!');
    });
  });
});
