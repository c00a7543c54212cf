import { NEVER, Observable, Subject, type Subscription } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { NetworkError } from '../../lib/errors/client-errors';
import { ProtocolError } from '../../lib/errors/protocol-error';
import { ServerError, StreamNotFoundError } from '../../lib/errors/http-errors';
import type { ConnectionState } from '../../lib/read/connection-state';
import { MAX_STALLED_ANSWERS, readLoop, type ReadLoopConfig } from '../../lib/read/read-loop';
import type { ReadOptions } from '../../lib/read/read-options';
import type { ReadStep } from '../../lib/read/read-step';
import type { Connectivity, WakeReason } from '../../lib/retry/connectivity';
import { FakeReadSource, loopConfig, step, TimerCounter, URL } from './support/fake-read';

const init = { url: URL };
const down = () => new NetworkError({ ...init, notSent: true });

/**
 * The read loop in field conditions, in virtual time: outages of any
 * length, wakes from the platform, answers that do not move forward, and
 * the connection state a UI binds to.
 */
describe('readLoop in field conditions (virtual time)', () => {
  let scheduler: TestScheduler;
  let wakes: Subject<WakeReason>;
  let offline: boolean;
  let connectivity: Connectivity;
  beforeEach(() => {
    scheduler = new TestScheduler((actual, expected) => expect(actual).toEqual(expected));
    wakes = new Subject<WakeReason>();
    offline = false;
    connectivity = { wakes, isOffline: () => offline };
  });

  const config = (options: ReadOptions, retry = {}): ReadLoopConfig<string> => ({
    ...loopConfig(options, scheduler, retry),
    connectivity,
  });

  /** Subscribes in virtual time; returns what was seen once the scheduler is flushed. */
  function read(
    options: ReadOptions,
    respond: ConstructorParameters<typeof FakeReadSource>[1],
    until: number,
    retry = {},
  ) {
    const seen = {
      steps: [] as Array<ReadStep<string>>,
      states: [] as ConnectionState[],
      error: undefined as unknown,
      completed: false,
      fake: undefined! as FakeReadSource,
    };
    scheduler.run(() => {
      seen.fake = new FakeReadSource(scheduler, respond);
      let subscription!: Subscription;
      scheduler.schedule(() => {
        subscription = readLoop(
          seen.fake.open,
          config({ ...options, connectionState: { next: (s) => seen.states.push(s) } }, retry),
        ).subscribe({
          next: (s) => seen.steps.push(s),
          error: (e: unknown) => (seen.error = e),
          complete: () => (seen.completed = true),
        });
      }, 0);
      scheduler.schedule(() => subscription.unsubscribe(), until);
    });
    return seen;
  }

  describe('outages', () => {
    it('a live read retries a failing server without end by default, each wait capped at maxDelayMs, and resumes from its offset', () => {
      const a = step('1', 'x', { upToDate: true });
      const b = step('2', 'y', { upToDate: true });
      // Up at first, then down for 300 requests (an outage of minutes), then back.
      const seen = read(
        { live: 'long-poll' },
        (_req, i) =>
          i === 0
            ? scheduler.createColdObservable('-a|', { a })
            : i <= 300
              ? scheduler.createColdObservable('-#', {}, down())
              : i === 301
                ? scheduler.createColdObservable('-b|', { b })
                : NEVER,
        400_000,
        { maxDelayMs: 1_000 },
      );
      expect(seen.error).toBeUndefined();
      expect(seen.steps).toEqual([a, b]);
      const waits = seen.fake.requests.slice(2).map((r, i) => r.at - seen.fake.requests[i + 1].at - 1);
      expect(Math.max(...waits)).toBe(1_000);
      // Every retry after the outage started from where the read stood.
      expect(seen.fake.requests.slice(1, 302).every((r) => r.offset === '1')).toBe(true);
      expect(seen.fake.requests[302].offset).toBe('2');
    });

    it('after a failure a live read catches up before it goes live again', () => {
      const a = step('1', 'x', { upToDate: true });
      const seen = read(
        { live: 'long-poll' },
        (_req, i) =>
          i === 0
            ? scheduler.createColdObservable('-a|', { a })
            : i === 1
              ? scheduler.createColdObservable('-#', {}, down())
              : i === 2
                ? scheduler.createColdObservable('-c|', { c: step('1', '', { upToDate: true }) })
                : NEVER,
        1_000,
      );
      expect(seen.fake.kinds()).toEqual(['catch-up@-1', 'long-poll@1', 'catch-up@1', 'long-poll@1']);
    });

    it('live: false stays bounded: it fails after maxRetries', () => {
      const seen = read({ live: false }, () => scheduler.createColdObservable('-#', {}, down()), 100_000, {
        maxRetries: 3,
      });
      expect(seen.error).toBeInstanceOf(NetworkError);
      expect(seen.fake.requests).toHaveLength(4);
    });

    it("a live read's own retry.maxRetries bounds it", () => {
      const seen = read(
        { live: 'sse', retry: { maxRetries: 2 } },
        () => scheduler.createColdObservable('-#', {}, down()),
        100_000,
      );
      expect(seen.error).toBeInstanceOf(NetworkError);
      expect(seen.fake.requests).toHaveLength(3);
    });

    it('a definitive answer (404) still ends a live read at once', () => {
      const notFound = new StreamNotFoundError({ ...init, status: 404 });
      const seen = read({ live: 'auto' }, () => scheduler.createColdObservable('-#', {}, notFound), 100_000);
      expect(seen.error).toBe(notFound);
      expect(seen.fake.requests).toHaveLength(1);
    });
  });

  describe('connection state', () => {
    it('connecting, catching up, live, reconnecting (attempt, next try, error), live again, closed', () => {
      const error = new ServerError({ ...init, status: 503 });
      const seen = read(
        { live: 'long-poll' },
        (_req, i) =>
          scheduler.createColdObservable(
            ['-a|', '-b|', '-#', '-#', '-c|', '-d|', '-e|'][i] ?? '-',
            {
              a: step('1', 'x'),
              b: step('2', 'y', { upToDate: true }),
              c: step('2', '', { upToDate: true }),
              d: step('3', 'z', { upToDate: true }),
              e: step('3', '', { upToDate: true, closed: true }),
            },
            error,
          ),
        10_000,
      );
      expect(seen.states).toEqual([
        { status: 'connecting' },
        { status: 'catching-up' },
        { status: 'live', mode: 'long-poll' },
        { status: 'reconnecting', attempt: 1, retryInMs: 100, error },
        { status: 'reconnecting', attempt: 2, retryInMs: 200, error },
        { status: 'live', mode: 'long-poll' },
        { status: 'closed' },
      ]);
      expect(seen.completed).toBe(true);
    });

    it("'auto' is live over SSE, and live over long-poll after it falls back", () => {
      const seen = read(
        { live: 'auto' },
        (req, i) =>
          i === 0
            ? scheduler.createColdObservable('-a|', { a: step('1', '', { upToDate: true }) })
            : req.kind === 'sse'
              ? scheduler.createColdObservable<ReadStep<string>>('-#', {}, new ServerError({ ...init, status: 501 }))
              : NEVER,
        1_000,
      );
      expect(seen.states.map((s) => (s.status === 'live' ? `live:${s.mode}` : s.status))).toEqual([
        'connecting',
        'live:sse',
        'live:long-poll',
      ]);
    });

    it('offline: the browser says so; back online retries at once', () => {
      const a = step('1', '', { upToDate: true });
      offline = true;
      const seen = { steps: [] as Array<ReadStep<string>>, states: [] as ConnectionState[] };
      let fake!: FakeReadSource;
      scheduler.run(() => {
        fake = new FakeReadSource(scheduler, (_req, i) =>
          i < 2
            ? scheduler.createColdObservable('-#', {}, down())
            : i === 2
              ? scheduler.createColdObservable('-a|', { a })
              : NEVER,
        );
        const subscription = readLoop(
          fake.open,
          config({ live: 'long-poll', connectionState: { next: (s) => seen.states.push(s) } }, { maxDelayMs: 60_000 }),
        ).subscribe((s) => seen.steps.push(s));
        scheduler.schedule(() => {
          offline = false;
          wakes.next('online');
        }, 250);
        scheduler.schedule(() => subscription.unsubscribe(), 1_000);
      });
      // Failures at 1 and 102; waiting 200 ms when the network comes back at 250: retried at once.
      expect(fake.requests.map((r) => r.at)).toEqual([0, 101, 250, 252]);
      expect(seen.states.slice(0, 2)).toEqual([{ status: 'connecting' }, { status: 'offline' }]);
      expect(seen.steps).toEqual([a]);
    });
  });

  describe('wakes', () => {
    const a = step('1', 'x', { upToDate: true });

    function tail(wakeAt: number, reason: WakeReason, failing: boolean) {
      let fake!: FakeReadSource;
      scheduler.run(() => {
        fake = new FakeReadSource(scheduler, (req, i) =>
          i === 0
            ? scheduler.createColdObservable('-a|', { a })
            : failing && i === 1
              ? scheduler.createColdObservable('-#', {}, down())
              : req.kind === 'catch-up'
                ? scheduler.createColdObservable('-c|', { c: step('1', '', { upToDate: true }) })
                : NEVER,
        );
        const subscription = readLoop(
          fake.open,
          config({ live: 'long-poll' }, { initialDelayMs: 10_000, maxDelayMs: 10_000 }),
        ).subscribe();
        scheduler.schedule(() => wakes.next(reason), wakeAt);
        scheduler.schedule(() => subscription.unsubscribe(), 30_000);
      });
      return fake;
    }

    it.each(['online', 'visible', 'resume', 'slept'] as const)('%s during a backoff wait retries at once', (reason) => {
      const fake = tail(500, reason, true);
      expect(fake.requests.map((r) => [r.kind, r.at])).toEqual([
        ['catch-up', 0],
        ['long-poll', 2],
        ['catch-up', 500],
        ['long-poll', 502],
      ]);
    });

    it.each(['online', 'resume', 'slept'] as const)(
      '%s during a held live request leaves it (presumed dead) and catches up at once',
      (reason) => {
        const fake = tail(5_000, reason, false);
        expect(fake.requests.map((r) => [r.kind, r.at])).toEqual([
          ['catch-up', 0],
          ['long-poll', 2],
          ['catch-up', 5_000],
          ['long-poll', 5_002],
        ]);
        expect(fake.active).toBe(0);
      },
    );

    it('visible does not touch a held live request: showing a tab is not a sign the connection died', () => {
      const fake = tail(5_000, 'visible', false);
      expect(fake.kinds()).toEqual(['catch-up@-1', 'long-poll@1']);
    });
  });

  describe('answers that do not move forward', () => {
    it('an empty catch-up answer without up-to-date at the same offset is waited out with backoff, then a ProtocolError', () => {
      const seen = read(
        { live: false, from: '5' },
        () => scheduler.createColdObservable('-s|', { s: step('5') }),
        1_000_000,
      );
      expect(seen.error).toBeInstanceOf(ProtocolError);
      expect((seen.error as ProtocolError).message).toMatch(/did not advance in 10 answers/);
      // The first answer is news (the read's first); then MAX_STALLED_ANSWERS that are not.
      expect(seen.fake.requests).toHaveLength(MAX_STALLED_ANSWERS + 1);
      // Each answer takes 2 ms ('-s|').
      const waits = seen.fake.requests.slice(1).map((r, i) => r.at - seen.fake.requests[i].at - 2);
      expect(waits).toEqual([0, 100, 200, 400, 800, 1_600, 3_200, 6_400, 10_000, 10_000]);
    });

    it('an answer whose offset went backwards is not taken: nothing repeats, the read re-reads from where it stood', () => {
      const a = step('0002', '[1,2]');
      const back = step('0001', '[2]', { upToDate: true });
      const b = step('0003', '[3]', { upToDate: true });
      const seen = read(
        { live: false },
        (_req, i) => scheduler.createColdObservable('-x|', { x: [a, back, b][i] }),
        10_000,
      );
      expect(seen.steps).toEqual([a, b]);
      expect(seen.fake.requests.map((r) => [r.offset, r.at])).toEqual([
        ['-1', 0],
        ['0002', 2],
        // The backwards answer at 3 is left at once; one answer without progress: 100 ms of backoff.
        ['0002', 103],
      ]);
      expect(seen.completed).toBe(true);
    });

    it('an SSE control event that goes backwards ends the connection (what follows would repeat data); the read resumes from where it stood', () => {
      const caughtUp = step('0001', 'x', { upToDate: true });
      const ahead = step('0002', 'y', { upToDate: true });
      const back = step('0001', '', { upToDate: true });
      let connection!: ReturnType<TestScheduler['createColdObservable']>;
      const seen = read(
        { live: 'sse' },
        (req, i) => {
          if (i === 0) return scheduler.createColdObservable('-a|', { a: caughtUp });
          if (i === 1)
            return (connection = scheduler.createColdObservable('-b-c-y', {
              b: ahead,
              c: back,
              y: step('0002', 'y', { upToDate: true }),
            }));
          return req.kind === 'catch-up'
            ? scheduler.createColdObservable('-u|', { u: step('0002', '', { upToDate: true }) })
            : NEVER;
        },
        10_000,
      );
      expect(seen.steps).toEqual([caughtUp, ahead]);
      expect(connection.subscriptions).toEqual([{ subscribedFrame: 2, unsubscribedFrame: 5 }]);
      // Left at 5; the next connection, from 0002, after the backoff of one answer that did not move forward.
      expect(seen.fake.requests.slice(2, 3).map((r) => [r.kind, r.offset, r.at])).toEqual([['sse', '0002', 105]]);
    });

    it('offsets that keep going backwards are a ProtocolError after the bound', () => {
      const seen = read(
        { live: 'long-poll' },
        (_req, i) =>
          scheduler.createColdObservable('-x|', {
            x: i === 0 ? step('0005', 'x') : step('0004', '', { upToDate: true }),
          }),
        1_000_000,
      );
      expect(seen.error).toBeInstanceOf(ProtocolError);
      expect((seen.error as ProtocolError).message).toMatch(/backwards/);
      expect(seen.fake.requests).toHaveLength(MAX_STALLED_ANSWERS + 1);
    });
  });

  describe('teardown', () => {
    it('unsubscribing mid-outage leaves no timer, no wake subscription and no request', () => {
      const counter = new TimerCounter(scheduler);
      let fake!: FakeReadSource;
      scheduler.run(() => {
        fake = new FakeReadSource(scheduler, () => scheduler.createColdObservable('-#', {}, down()));
        const subscription = readLoop(fake.open, { ...loopConfig({ live: 'sse' }, counter), connectivity }).subscribe();
        scheduler.schedule(() => {
          expect(counter.pending).toBe(1); // the backoff wait
          expect(wakes.observed).toBe(true);
          subscription.unsubscribe();
          expect(counter.pending).toBe(0);
          expect(wakes.observed).toBe(false);
        }, 50);
      });
      expect(fake.active).toBe(0);
    });

    it('the connectionState observer hears nothing after unsubscribe, and only next() is called on it', () => {
      const calls: string[] = [];
      const observer = new Proxy(
        {},
        { get: (_t, name) => (calls.push(String(name)), name === 'next' ? () => undefined : undefined) },
      ) as { next(state: ConnectionState): void };
      scheduler.run(() => {
        const fake = new FakeReadSource(scheduler, () => new Observable<ReadStep<string>>(() => undefined));
        const subscription = readLoop(fake.open, config({ live: 'long-poll', connectionState: observer })).subscribe();
        scheduler.schedule(() => subscription.unsubscribe(), 10);
      });
      expect(new Set(calls)).toEqual(new Set(['next']));
    });
  });
});
