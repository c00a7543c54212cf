import { map, Subject, type Observable } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { AdmittedValues, type AdmissionLimits } from '../../lib/produce/admitted-values';
import { BatchBuilder } from '../../lib/produce/batch-builder';
import { lingered } from '../../lib/produce/linger';
import { PRODUCER_LOAN } from '../../lib/produce/producer-loan';
import { ValueTooLargeError } from '../../lib/produce/producer-errors';

/** On a byte stream each value is its own bytes: `a` is 1 byte, `x` 10. */
const values: Record<string, string> = { a: 'a', b: 'bb', c: 'ccc', d: 'dddd', e: 'eeeee', x: 'xxxxxxxxxx' };
const roomy: AdmissionLimits = {
  maxBatchItems: 100,
  maxBatchBytes: 1000,
  maxBufferedMessages: 1000,
  maxBufferedBytes: 10_000,
};
const text = (body: Uint8Array | undefined) => new TextDecoder().decode(body);

/**
 * The producer's batching, without delivery: a builder fed by `appends`
 * (keys of `values`; completion ends it), sealed `lingerMs` after a batch's
 * first value and whenever `flushes` emits. Emits each sealed batch's body.
 */
function batching(
  appends: Observable<string>,
  flushes: Observable<unknown>,
  limits: Partial<AdmissionLimits> = {},
  lingerMs = 5,
): Observable<string> {
  const builder = new BatchBuilder(
    new AdmittedValues({ ...roomy, ...limits }, 'http://x/s', 'p', () => 0),
    PRODUCER_LOAN,
  );
  builder.frame('application/octet-stream');
  builder.opened$.pipe(lingered(lingerMs, () => builder.hasOpenBatch)).subscribe(() => builder.seal());
  flushes.subscribe(() => builder.seal());
  appends.subscribe({ next: (key) => builder.add(values[key], true), complete: () => builder.end() });
  return builder.batches$.pipe(map((batch) => text(batch.body)));
}

describe('batching: BatchBuilder and lingered', () => {
  let scheduler: TestScheduler;
  beforeEach(() => (scheduler = new TestScheduler((actual, expected) => expect(actual).toEqual(expected))));

  it('seals a batch lingerMs after its first value, not on a fixed clock', () => {
    scheduler.run(({ hot, cold, expectObservable }) => {
      // a opens at 2 and is sealed at 7; c opens at 11, sealed at 15 by the end first.
      expectObservable(batching(hot('--a-b------c--d|'), cold('-'))).toBe('-------u-------(v|)', {
        u: 'abb',
        v: 'cccdddd',
      });
    });
  });

  it('seals a batch at maxBatchItems at once', () => {
    scheduler.run(({ hot, cold, expectObservable }) => {
      expectObservable(batching(hot('-abcde-|'), cold('-'), { maxBatchItems: 2 })).toBe('--u-v--(w|)', {
        u: 'abb',
        v: 'cccdddd',
        w: 'eeeee',
      });
    });
  });

  it('never lets a body pass maxBatchBytes: a value that does not fit seals the batch and opens the next', () => {
    scheduler.run(({ hot, cold, expectObservable }) => {
      // 1+2 = 3; c would make 6 > 5: [a b] goes, c opens the next; d would make 7: [c] goes, d lingers 5.
      expectObservable(batching(hot('-abcd------|'), cold('-'), { maxBatchBytes: 5 })).toBe('---uv----w-|', {
        u: 'abb',
        v: 'ccc',
        w: 'dddd',
      });
    });
  });

  it('seals a batch as soon as no further value could fit', () => {
    scheduler.run(({ hot, cold, expectObservable }) => {
      // d + a = 5 fills the budget: sealed at once, not when the next value comes.
      expectObservable(batching(hot('-da------|'), cold('-'), { maxBatchBytes: 5 })).toBe('--u------|', { u: 'dddda' });
    });
  });

  it('refuses a value larger than maxBatchBytes at once, and goes on', () => {
    const builder = new BatchBuilder(
      new AdmittedValues({ ...roomy, maxBatchBytes: 5 }, 'http://x/s', 'p', () => 0),
      PRODUCER_LOAN,
    );
    builder.frame('text/plain');
    expect(() => builder.add('x'.repeat(6), true)).toThrow(ValueTooLargeError);
    expect(() => builder.add('x'.repeat(6), false)).toThrow(
      /A value of 6 bytes can never be sent.*maxBatchBytes \(5\)/,
    );
    expect(builder.add('x'.repeat(5), true)).toBe(true);
    expect(builder.pendingCount).toBe(1);
  });

  it('seals the open batch on a flush, and does nothing on a flush with nothing open', () => {
    scheduler.run(({ hot, expectObservable }) => {
      expectObservable(batching(hot('-ab-----c----|'), hot('--f-f--------'))).toBe('--u----------(v|)', {
        u: 'abb',
        v: 'ccc',
      });
    });
  });

  it('seals the open batch at the end, and never an empty one', () => {
    scheduler.run(({ hot, cold, expectObservable }) => {
      expectObservable(batching(hot('-a|'), cold('-'))).toBe('--(u|)', { u: 'a' });
      expectObservable(batching(hot('----------|'), cold('-'))).toBe('----------|');
    });
  });

  it('keeps order and loses nothing across many batches sealed by count, size and the end', () => {
    scheduler.run(({ hot, cold, expectObservable }) => {
      expectObservable(batching(hot('-abcdeabcde--abc|'), cold('-'), { maxBatchItems: 4, maxBatchBytes: 9 })).toBe(
        '----uv---wx-----(y|)',
        {
          u: 'abbccc', // d would make 10 bytes
          v: 'ddddeeeee', // 9 bytes: full
          w: 'abbccc',
          x: 'ddddeeeee',
          y: 'abbccc', // the end
        },
      );
    });
  });

  it('seals a batch at maxBatchItems before its size does', () => {
    scheduler.run(({ hot, cold, expectObservable }) => {
      expectObservable(batching(hot('-aaaaa|'), cold('-'), { maxBatchItems: 4, maxBatchBytes: 9 })).toBe('----u-(v|)', {
        u: 'aaaa',
        v: 'a',
      });
    });
  });

  it('seals a batch opened after an early seal exactly lingerMs after its first value', () => {
    scheduler.run(({ hot, cold, expectObservable }) => {
      // a opens at 1 (the timer is due at 6); b seals the batch by count at 2; c opens at 4
      // and must be sealed at 9: the timer, firing at 6, waits the 3 ms left.
      expectObservable(batching(hot('-ab-c-------|'), cold('-'), { maxBatchItems: 2 })).toBe('--u------v--|', {
        u: 'abb',
        v: 'ccc',
      });
    });
  });

  it('writes the values that waited for the content type in batches of the usual size, and seals them at once', () => {
    const builder = new BatchBuilder(
      new AdmittedValues({ ...roomy, maxBatchItems: 2 }, 'http://x/s', 'p', () => 0),
      PRODUCER_LOAN,
    );
    const sealed: string[] = [];
    builder.batches$.subscribe({ next: (batch) => sealed.push(text(batch.body)), complete: () => sealed.push('|') });
    for (const key of 'abc') builder.add(values[key], true);
    builder.end();
    expect(sealed).toEqual([]); // the end waits for the values
    builder.frame('text/plain');
    expect(sealed).toEqual(['abb', 'ccc', '|']);
    expect(builder.pendingBytes).toBe(6);
  });

  describe('with real timers', () => {
    beforeEach(() => jest.useFakeTimers());
    afterEach(() => jest.useRealTimers());

    const live = (limits: Partial<AdmissionLimits> = {}) => {
      const appends = new Subject<string>();
      const sealed: string[] = [];
      batching(appends, new Subject(), limits).subscribe((body) => sealed.push(body));
      return { appends, sealed };
    };

    it('holds no timer while idle, so an idle producer does not keep the process alive', () => {
      const { appends, sealed } = live();
      expect(jest.getTimerCount()).toBe(0);
      appends.next('a');
      expect(jest.getTimerCount()).toBe(1);
      jest.advanceTimersByTime(5);
      expect(sealed).toEqual(['a']);
      expect(jest.getTimerCount()).toBe(0);
      jest.advanceTimersByTime(1000);
      expect(sealed).toEqual(['a']);
    });

    it('starts one timer for many batches sealed early, and none is left lingerMs after the last', () => {
      const setInterval = jest.spyOn(globalThis, 'setInterval');
      try {
        const { appends, sealed } = live({ maxBatchItems: 2 });
        for (let i = 0; i < 200; i++) appends.next('a');
        expect(sealed).toHaveLength(100);
        expect(setInterval).toHaveBeenCalledTimes(1);
        jest.advanceTimersByTime(5);
        expect(jest.getTimerCount()).toBe(0);
        appends.next('a');
        jest.advanceTimersByTime(5);
        expect(sealed).toHaveLength(101);
        expect(jest.getTimerCount()).toBe(0);
      } finally {
        setInterval.mockRestore();
      }
    });

    it('leaves no timer behind when unsubscribed', () => {
      const builder = new BatchBuilder(
        new AdmittedValues({ ...roomy, maxBatchItems: 2 }, 'http://x/s', 'p', () => 0),
        PRODUCER_LOAN,
      );
      builder.frame('text/plain');
      const subscription = builder.opened$
        .pipe(lingered(5, () => builder.hasOpenBatch))
        .subscribe(() => builder.seal());
      builder.add('a', true);
      builder.add('b', true);
      expect(jest.getTimerCount()).toBe(1);
      subscription.unsubscribe();
      expect(jest.getTimerCount()).toBe(0);
    });
  });
});
