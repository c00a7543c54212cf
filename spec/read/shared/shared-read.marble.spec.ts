import type { ColdObservable } from 'rxjs/internal/testing/ColdObservable';
import { NEVER, type Observable as Obs } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { NetworkError } from '../../../lib/errors/client-errors';
import type { Checkpoint } from '../../../lib/protocol/offset';
import type { ReadStep } from '../../../lib/read/read-step';
import { sharedRead } from '../../../lib/read/shared/shared-read';
import type { TailSnapshot } from '../../../lib/read/shared/tail-snapshot';
import { DEFAULT_RETRY } from '../../../lib/retry/retry-config';
import { backoffDelay } from '../../../lib/retry/retry-with-backoff';

type Cold<T> = ColdObservable<T>;

const step = (offset: string, payload = '', extra: Partial<ReadStep<string>> = {}): ReadStep<string> => ({
  payload,
  offset,
  upToDate: false,
  closed: false,
  ...extra,
});
const upToDate = (offset: string, payload = '', extra: Partial<ReadStep<string>> = {}) =>
  step(offset, payload, { upToDate: true, ...extra });

describe('sharedRead (virtual time)', () => {
  let scheduler: TestScheduler;
  beforeEach(() => {
    scheduler = new TestScheduler((actual, expected) => expect(actual).toEqual(expected));
  });

  /** A read whose own requests and whose tail are fakes; logs where each catch-up started, and when. */
  function reader(
    start: Checkpoint,
    catchUp: (from: Checkpoint, n: number) => Obs<ReadStep<string>>,
    tail: (from: Checkpoint, n: number) => Obs<TailSnapshot<string>>,
  ) {
    const catchUps: string[] = [];
    const tails: string[] = [];
    const told: string[] = [];
    const read = sharedRead<string, ReadStep<string>>(start, {
      catchUp: (from) => {
        catchUps.push(`${from.offset}@${scheduler.now()}`);
        return catchUp(from, catchUps.length - 1);
      },
      tail: (from) => {
        tails.push(`${from.offset}@${scheduler.now()}`);
        return tail(from, tails.length - 1);
      },
      empty: '',
      isEmpty: (payload) => payload === '',
      backoff: (rounds) => backoffDelay({ ...DEFAULT_RETRY, jitter: false, initialDelayMs: 100 }, rounds, undefined),
      scheduler,
      tell: (state) => told.push(`${state.status}@${scheduler.now()}`),
      project: (step) => step,
    });
    return { read, catchUps, tails, told };
  }

  it('catches up on its own requests, then takes the tail from exactly its offset', () => {
    const a = step('1', 'x');
    const b = upToDate('2', 'y');
    const c = upToDate('3', 'z');
    const d = upToDate('4', 'w');
    scheduler.run(({ cold, expectObservable }) => {
      const r = reader(
        { offset: '-1' },
        () => cold('-a-b-x|', { a, b, x: upToDate('9', 'never read') }),
        () => cold('S--c--d', { S: { from: '2' }, c: { from: '2', step: c }, d: { from: '3', step: d } }),
      );
      expectObservable(r.read).toBe('-a-b--c--d', { a, b, c, d });
      scheduler.flush();
      expect(r.catchUps).toEqual(['-1@0']);
      expect(r.tails).toEqual(['2@3']);
    });
  });

  it('catches up again on its own when the tail is ahead of it, then joins: no gap', () => {
    const b = upToDate('2', 'y');
    const c = upToDate('3', 'z');
    const d = upToDate('4', 'w');
    scheduler.run(({ cold, expectObservable }) => {
      const r = reader(
        { offset: '0' },
        (from) => cold('-x|', { x: from.offset === '0' ? b : c }),
        (_from, n) =>
          n === 0 ? cold('T', { T: { from: '3' } }) : cold('T--d', { T: { from: '3' }, d: { from: '3', step: d } }),
      );
      expectObservable(r.read).toBe('-bc--d', { b, c, d });
      scheduler.flush();
      expect(r.catchUps).toEqual(['0@0', '2@1']);
      expect(r.tails).toEqual(['2@1', '3@2']);
    });
  });

  it("catches up again on its own when the tail's step straddles its offset: no duplicate", () => {
    const b = upToDate('2', 'y');
    const c = upToDate('3', 'z');
    const d = upToDate('4', 'w');
    const straddle = { from: '1', step: upToDate('3', 'yz') };
    scheduler.run(({ cold, expectObservable }) => {
      const r = reader(
        { offset: '0' },
        (from) => cold('-x|', { x: from.offset === '0' ? b : c }),
        (_from, n) => (n === 0 ? cold('U', { U: straddle }) : cold('U--d', { U: straddle, d: { from: '3', step: d } })),
      );
      expectObservable(r.read).toBe('-bc--d', { b, c, d });
    });
  });

  it('waits for a tail that is behind it, skipping what it has read', () => {
    const b = upToDate('2', 'y');
    const f = upToDate('3', 'z');
    scheduler.run(({ cold, expectObservable }) => {
      const r = reader(
        { offset: '0' },
        () => cold('-b|', { b }),
        () =>
          cold('V-e-f', { V: { from: '1' }, e: { from: '1', step: upToDate('2', 'y') }, f: { from: '2', step: f } }),
      );
      expectObservable(r.read).toBe('-b---f', { b, f });
      scheduler.flush();
      expect(r.catchUps).toEqual(['0@0']);
    });
  });

  it('spaces rounds that move nothing by the retry backoff, instead of spinning', () => {
    const b = upToDate('2', 'y');
    scheduler.run(({ cold, expectObservable }) => {
      // The server says the tail is at 2; the shared tail says 5: a contradiction that never resolves.
      const r = reader(
        { offset: '0' },
        (from) => cold('-b|', { b: from.offset === '0' ? b : upToDate('2') }),
        () => cold('T', { T: { from: '5' } }),
      );
      expectObservable(r.read, '^ 400ms !').toBe('-b', { b });
      scheduler.flush();
      expect(r.catchUps).toEqual(['0@0', '2@1', '2@102', '2@303']);
    });
  });

  it('completes at an EOF its own catch-up reads, without joining a tail', () => {
    const eof = upToDate('2', 'y', { closed: true });
    scheduler.run(({ cold, expectObservable }) => {
      const r = reader(
        { offset: '0' },
        () => cold('-e-x|', { e: eof, x: step('3') }),
        () => cold('T', { T: { from: '2' } }),
      );
      expectObservable(r.read).toBe('-(e|)', { e: eof });
      scheduler.flush();
      expect(r.tails).toEqual([]);
    });
  });

  it('completes at an EOF the tail delivers', () => {
    const b = upToDate('2', 'y');
    const eof = upToDate('3', 'z', { closed: true });
    scheduler.run(({ cold, expectObservable }) => {
      const r = reader(
        { offset: '0' },
        () => cold('-b|', { b }),
        () => cold('T-e-x', { T: { from: '2' }, e: { from: '2', step: eof }, x: { from: '3', step: step('4') } }),
      );
      expectObservable(r.read).toBe('-b-(e|)', { b, eof, e: eof });
    });
  });

  it('joins at once from now: no catch-up, where the tail stands, then its steps', () => {
    const g = upToDate('4', 'x');
    scheduler.run(({ cold, expectObservable }) => {
      const r = reader(
        { offset: 'now' },
        () => NEVER,
        () => cold('T-g', { T: { from: '3', cursor: 'c' }, g: { from: '3', step: g } }),
      );
      expectObservable(r.read).toBe('n-g', {
        n: { payload: '', offset: '3', cursor: 'c', upToDate: true, closed: false },
        g,
      });
      scheduler.flush();
      expect(r.catchUps).toEqual([]);
    });
  });

  it("tells the tail's connection states once it has joined, not those of a tail it cannot take", () => {
    const b = upToDate('2', 'y');
    const live = { status: 'live', mode: 'sse' } as const;
    const reconnecting = {
      status: 'reconnecting',
      attempt: 1,
      retryInMs: 100,
      error: new NetworkError({ url: 'u', cause: new Error('x') }),
    } as const;
    scheduler.run(({ cold, expectObservable }) => {
      const r = reader(
        { offset: '0' },
        (from) => cold('-x|', { x: from.offset === '0' ? b : upToDate('3', 'z') }),
        (_from, n) =>
          n === 0
            ? cold('T', { T: { from: '3', state: live } })
            : cold('T-R', { T: { from: '3', state: live }, R: { from: '3', state: reconnecting } }),
      );
      expectObservable(r.read).toBe('-bz', { b, z: upToDate('3', 'z') });
      scheduler.flush();
      expect(r.told).toEqual(['live@2', 'reconnecting@4']);
    });
  });

  it("fails with the tail's error", () => {
    const b = upToDate('2', 'y');
    const error = new NetworkError({ url: 'u', cause: new Error('gone') });
    scheduler.run(({ cold, expectObservable }) => {
      const r = reader(
        { offset: '0' },
        () => cold('-b|', { b }),
        () => cold('T-#', { T: { from: '2' } }, error),
      );
      expectObservable(r.read).toBe('-b-#', { b }, error);
    });
  });

  it('leaves the tail when unsubscribed, and the catch-up in flight before it', () => {
    const b = upToDate('2', 'y');
    scheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
      let own!: Cold<ReadStep<string>>;
      let tail!: Cold<TailSnapshot<string>>;
      const first = reader(
        { offset: '0' },
        () => (own = cold('--b|', { b })),
        () => (tail = cold('T', { T: { from: '2' } })),
      );
      expectObservable(first.read, '^----!').toBe('--b', { b });
      scheduler.flush();
      expectSubscriptions(own.subscriptions).toBe('^-!');
      expectSubscriptions(tail.subscriptions).toBe('--^--!');
    });
  });
});
