import { Subject } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { batchEntries, type BatchLimits } from '../../lib/produce/batch-entries';

/** Values are their own size in bytes. */
const values = { a: 1, b: 2, c: 3, d: 4, e: 5, x: 10 };
const size = (value: number) => value;
const roomy: BatchLimits = { lingerMs: 5, maxItems: 100, maxBytes: 1000 };

describe('batchEntries', () => {
  let scheduler: TestScheduler;
  beforeEach(() => (scheduler = new TestScheduler((actual, expected) => expect(actual).toEqual(expected))));

  it('closes a batch lingerMs after its first value, not on a fixed clock', () => {
    scheduler.run(({ hot, cold, expectObservable }) => {
      const source = hot('--a-b------c--d|', values);
      // a opens at 2 and closes at 7; c opens at 11, closes at 16 with the source's completion (15) first.
      expectObservable(source.pipe(batchEntries(roomy, size, cold('-')))).toBe('-------u-------(v|)', { u: [1, 2], v: [3, 4] });
    });
  });

  it('closes a batch at maxItems at once', () => {
    scheduler.run(({ hot, cold, expectObservable }) => {
      const source = hot('-abcde-|', values);
      expectObservable(source.pipe(batchEntries({ ...roomy, maxItems: 2 }, size, cold('-')))).toBe('--u-v--(w|)', {
        u: [1, 2],
        v: [3, 4],
        w: [5],
      });
    });
  });

  it('closes a batch when it reaches maxBytes, the value reaching it included', () => {
    scheduler.run(({ hot, cold, expectObservable }) => {
      const source = hot('-abcd------|', values);
      // 1+2+3 = 6 reaches 5 at c; d opens the next batch and lingers 5.
      expectObservable(source.pipe(batchEntries({ ...roomy, maxBytes: 5 }, size, cold('-')))).toBe('---u-----v-|', { u: [1, 2, 3], v: [4] });
    });
  });

  it('sends a value larger than maxBytes alone', () => {
    scheduler.run(({ hot, cold, expectObservable }) => {
      const source = hot('-axb------|', values);
      expectObservable(source.pipe(batchEntries({ ...roomy, maxBytes: 5 }, size, cold('-')))).toBe('--u-----v-|', { u: [1, 10], v: [2] });
    });
  });

  it('closes the open batch when flush$ emits, and ignores a flush with nothing batched', () => {
    scheduler.run(({ hot, expectObservable }) => {
      const source = hot('-ab-----c----|', values);
      const flush = hot('--f-f--------', { f: undefined });
      expectObservable(source.pipe(batchEntries(roomy, size, flush))).toBe('--u----------(v|)', { u: [1, 2], v: [3] });
    });
  });

  it('emits the open batch when the source completes, and never an empty one', () => {
    scheduler.run(({ hot, cold, expectObservable }) => {
      expectObservable(hot('-a|', values).pipe(batchEntries(roomy, size, cold('-')))).toBe('--(u|)', { u: [1] });
      expectObservable(hot('----------|', values).pipe(batchEntries(roomy, size, cold('-')))).toBe('----------|');
    });
  });

  it('keeps order and loses nothing across many batches closed by count, bytes and completion', () => {
    scheduler.run(({ hot, cold, expectObservable }) => {
      const source = hot('-abcdeabcde--abc|', values);
      expectObservable(source.pipe(batchEntries({ lingerMs: 5, maxItems: 4, maxBytes: 9 }, size, cold('-')))).toBe('----u---v-w-----(x|)', {
        u: [1, 2, 3, 4], // count and bytes (10) both reached at d
        v: [5, 1, 2, 3], // count
        w: [4, 5], // bytes: 9
        x: [1, 2, 3], // completion
      });
    });
  });

  it('closes a batch opened after an early close exactly lingerMs after its first value', () => {
    scheduler.run(({ hot, cold, expectObservable }) => {
      // a opens at 1 (the timer is due at 6); b closes the batch by count at 2; c opens at 4
      // and must close at 9: the timer, firing at 6, waits the 3 ms left.
      const source = hot('-ab-c-------|', values);
      expectObservable(source.pipe(batchEntries({ ...roomy, maxItems: 2 }, size, cold('-')))).toBe('--u------v--|', { u: [1, 2], v: [3] });
    });
  });

  it('passes errors on', () => {
    scheduler.run(({ hot, cold, expectObservable }) => {
      expectObservable(hot('-a-#', values).pipe(batchEntries(roomy, size, cold('-')))).toBe('---#');
    });
  });

  describe('with real timers', () => {
    beforeEach(() => jest.useFakeTimers());
    afterEach(() => jest.useRealTimers());

    it('holds no timer while idle, so an idle producer does not keep the process alive', () => {
      const input = new Subject<number>();
      const batches: number[][] = [];
      const subscription = input.pipe(batchEntries(roomy, size, new Subject<void>())).subscribe((batch) => batches.push(batch));
      expect(jest.getTimerCount()).toBe(0);
      input.next(1);
      expect(jest.getTimerCount()).toBe(1);
      jest.advanceTimersByTime(5);
      expect(batches).toEqual([[1]]);
      expect(jest.getTimerCount()).toBe(0);
      jest.advanceTimersByTime(1000);
      expect(batches).toEqual([[1]]);
      subscription.unsubscribe();
    });

    it('starts one timer for many batches closed early, and none is left lingerMs after the last', () => {
      const setInterval = jest.spyOn(globalThis, 'setInterval');
      const input = new Subject<number>();
      const batches: number[][] = [];
      const subscription = input.pipe(batchEntries({ ...roomy, maxItems: 2 }, size, new Subject<void>())).subscribe((batch) => batches.push(batch));
      for (let i = 0; i < 200; i++) input.next(1);
      expect(batches).toHaveLength(100);
      expect(setInterval).toHaveBeenCalledTimes(1);
      jest.advanceTimersByTime(5);
      expect(jest.getTimerCount()).toBe(0);
      input.next(1);
      jest.advanceTimersByTime(5);
      expect(batches).toHaveLength(101);
      expect(jest.getTimerCount()).toBe(0);
      subscription.unsubscribe();
      setInterval.mockRestore();
    });

    it('leaves no timer behind when unsubscribed', () => {
      const input = new Subject<number>();
      const subscription = input.pipe(batchEntries({ ...roomy, maxItems: 2 }, size, new Subject<void>())).subscribe();
      input.next(1);
      input.next(1);
      expect(jest.getTimerCount()).toBe(1);
      subscription.unsubscribe();
      expect(jest.getTimerCount()).toBe(0);
    });
  });
});
