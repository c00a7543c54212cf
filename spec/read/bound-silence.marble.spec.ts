import { TestScheduler } from 'rxjs/testing';
import { boundSilence } from '../../lib/read/bound-silence';

describe('boundSilence (marbles)', () => {
  let scheduler: TestScheduler;
  beforeEach(() => {
    scheduler = new TestScheduler((actual, expected) => expect(actual).toEqual(expected));
  });
  const silence = (ms: number) => new Error(`silent ${ms} ms`);

  it('errors after the bound without a value, counted from subscribe and from each value', () => {
    scheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
      const source = cold('-a--b-------');
      expectObservable(source.pipe(boundSilence(() => 5, scheduler, silence))).toBe(
        '-a--b----#',
        undefined,
        silence(5),
      );
      expectSubscriptions(source.subscriptions).toBe('^--------!');
    });
  });

  it('asks the bound anew after each value: a bound learned mid-stream applies at once', () => {
    scheduler.run(({ cold, expectObservable }) => {
      let bound: number | undefined;
      const source = cold('-a-b---------', { a: 'a', b: 'b' });
      const learning = source.pipe(boundSilence(() => bound, scheduler, silence));
      // No bound until b: no timer; b sets 3 ms.
      expectObservable(learning).toBe('-a-b--#', undefined, silence(3));
      scheduler.schedule(() => (bound = 3), 2);
    });
  });

  it('passes values, completion and errors through, and leaves no timer behind', () => {
    scheduler.run(({ cold, expectObservable }) => {
      expectObservable(cold('-a-|').pipe(boundSilence(() => 2, scheduler, silence))).toBe('-a-|');
      expectObservable(cold('-a-#').pipe(boundSilence(() => 5, scheduler, silence))).toBe('-a-#');
    });
    let pending = 0;
    const counting = {
      now: () => scheduler.now(),
      schedule: (...args: Parameters<TestScheduler['schedule']>) => {
        pending++;
        const action = scheduler.schedule(...args);
        action.add(() => pending--);
        return action;
      },
    };
    scheduler.run(({ cold }) => {
      const subscription = cold('-a-')
        .pipe(boundSilence(() => 10, counting, silence))
        .subscribe();
      scheduler.schedule(() => subscription.unsubscribe(), 4);
    });
    expect(pending).toBe(0);
  });

  it('keeps one timer however many values pass, and errors only after a silence', () => {
    let scheduled = 0;
    const counting = {
      now: () => scheduler.now(),
      schedule: (...args: Parameters<TestScheduler['schedule']>) => {
        scheduled++;
        return scheduler.schedule(...args);
      },
    };
    scheduler.run(({ cold, expectObservable }) => {
      const busy = cold('aaaaaaaaaaaaaaaaaaaaaaaaaaaaaa'); // a value each ms for 30 ms, then silence
      expectObservable(busy.pipe(boundSilence(() => 10, counting, silence))).toBe(
        'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaa---------#',
        undefined,
        silence(10),
      );
    });
    // At subscribe, then once each time it came due (10, 20, 30, 39): not 30.
    expect(scheduled).toBeLessThanOrEqual(5);
  });
});
