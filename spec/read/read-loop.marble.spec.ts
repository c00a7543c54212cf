import { NEVER, Observable, of, take, throwError, type Subscription } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { NetworkError, TimeoutError } from '../../lib/errors/client-errors';
import {
  BadRequestError,
  ServerError,
  StreamNotFoundError,
  UnauthorizedError,
  UnexpectedStatusError,
} from '../../lib/errors/http-errors';
import { readLoop } from '../../lib/read/read-loop';
import type { ReadOptions } from '../../lib/read/read-options';
import type { ReadStep } from '../../lib/read/read-step';
import { SseUnavailableError } from '../../lib/read/sse-unavailable-error';
import { FakeReadSource, loopConfig, step, subscriptionTreeSize, TimerCounter, URL } from './support/fake-read';

const init = { url: URL };
const serverError = () => new ServerError({ ...init, status: 503 });

describe('readLoop (virtual time)', () => {
  let scheduler: TestScheduler;
  beforeEach(() => {
    scheduler = new TestScheduler((actual, expected) => expect(actual).toEqual(expected));
  });

  /** Runs a loop against `respond` and returns the fake server, for its request log. */
  function run(
    options: ReadOptions,
    respond: ConstructorParameters<typeof FakeReadSource>[1],
    expectMarbles: string,
    values: Record<string, ReadStep<string>>,
    error?: unknown,
    retry = {},
    unsubscribe?: string,
  ): FakeReadSource {
    let fake!: FakeReadSource;
    scheduler.run(({ expectObservable }) => {
      fake = new FakeReadSource(scheduler, respond);
      expectObservable(readLoop(fake.open, loopConfig(options, scheduler, retry)), unsubscribe).toBe(
        expectMarbles,
        values,
        error,
      );
    });
    return fake;
  }

  describe('catch-up and continuation', () => {
    it('live: false reads until the first up-to-date response, continuing from each next offset', () => {
      const a = step('1', 'x');
      const b = step('2', 'y', { upToDate: true });
      // The read completes when the up-to-date response has been read in full.
      const fake = run(
        { live: false },
        (req) => scheduler.createColdObservable(req.offset === '-1' ? '-a|' : '-b|', { a, b }),
        '-a-b|',
        { a, b },
      );
      expect(fake.kinds()).toEqual(['catch-up@-1', 'catch-up@1']);
    });

    it('goes live after catching up and completes at EOF without another request', () => {
      const a = step('1', 'x', { upToDate: true });
      const b = step('2', 'y', { upToDate: true, cursor: 'c1' });
      const c = step('2', '', { upToDate: true, closed: true });
      const fake = run(
        { live: 'long-poll' },
        (_req, i) => scheduler.createColdObservable(['-a|', '---b|', '--c|'][i], { a, b, c }),
        '-a---b--(c|)',
        // The closing step carries the last cursor seen: it omitted one, as servers may.
        { a, b, c: { ...c, cursor: 'c1' } },
      );
      expect(fake.requests.map((r) => [r.kind, r.offset, r.cursor, r.at])).toEqual([
        ['catch-up', '-1', undefined, 0],
        ['long-poll', '1', undefined, 2],
        ['long-poll', '2', 'c1', 6],
      ]);
    });

    it('starts a live read at Offset.now with a live request, skipping catch-up', () => {
      const a = step('9', '', { upToDate: true });
      const fake = run(
        { live: 'long-poll', from: 'now' },
        (_req, i) => (i === 0 ? scheduler.createColdObservable('-a|', { a }) : NEVER),
        '-a',
        { a },
      );
      expect(fake.kinds()).toEqual(['long-poll@now', 'long-poll@9']);
    });

    it('resumes from a checkpoint with its cursor', () => {
      const fake = run({ live: 'long-poll', from: { offset: '5', cursor: 'c5' } }, () => NEVER, '', {});
      expect(fake.requests.map((r) => [r.kind, r.offset, r.cursor])).toEqual([['catch-up', '5', 'c5']]);
    });

    it('emits only responses that change what the subscriber knows: repeated 204s are silent', () => {
      const a = step('1', '', { upToDate: true });
      const same = step('1', '', { upToDate: true, cursor: 'c2' });
      const b = step('2', 'z', { upToDate: true });
      const fake = run(
        { live: 'long-poll' },
        // The 204s take 60 ms, as a server's wait would: not idle answers.
        (_req, i) =>
          scheduler.createColdObservable(i === 0 ? '-a|' : i < 3 ? '60ms s|' : i === 3 ? '-b|' : '-', {
            a,
            s: same,
            b,
          }),
        '-a 123ms b',
        { a, b: { ...b, cursor: 'c2' } },
      );
      // The silent 204's cursor is still echoed on the next request.
      expect(fake.requests.map((r) => r.cursor)).toEqual([undefined, undefined, 'c2', 'c2', 'c2']);
    });
  });

  describe('idle live answers', () => {
    it('spaces live requests with backoff while they come back at once with nothing new, and resets on progress', () => {
      const a = step('1', '', { upToDate: true });
      const b = step('2', 'z', { upToDate: true });
      const fake = run(
        { live: 'long-poll' },
        (_req, i) => scheduler.createColdObservable(i === 0 ? '-a|' : i < 3 ? '-a|' : i === 3 ? '-b|' : '-', { a, b }),
        // Silent answers at once at 2 and 104: waits of 100 and 200 ms (initialDelayMs 100, no jitter); data at 307 resets the streak.
        '-a 305ms b',
        { a, b },
      );
      expect(fake.requests.map((r) => r.at)).toEqual([0, 2, 104, 306, 308]);
    });

    it('never delays catch-up requests, however quick', () => {
      const a = step('1', '', {});
      const b = step('2', '', {});
      const c = step('3', '', { upToDate: true });
      const fake = run(
        { live: false },
        (_req, i) => scheduler.createColdObservable('-x|', { x: [a, b, c][i] }),
        '-a-b-c|',
        { a, b, c },
      );
      expect(fake.requests.map((r) => r.at)).toEqual([0, 2, 4]);
    });
  });

  describe('retry', () => {
    it('retries retryable errors with exponential backoff, then continues', () => {
      const a = step('1', 'x', { upToDate: true });
      const fake = run(
        { live: false },
        (_req, i) =>
          i < 2
            ? scheduler.createColdObservable('-#', {}, serverError())
            : scheduler.createColdObservable('-a|', { a }),
        // fails at 1, retried at 101 (100 ms), fails at 102, retried at 302 (200 ms), answers at 303
        '303ms a|',
        { a },
      );
      expect(fake.requests.map((r) => r.at)).toEqual([0, 101, 302]);
    });

    it('gives up after maxRetries consecutive failures with the last error', () => {
      const error = serverError();
      const fake = run(
        { live: false },
        () => scheduler.createColdObservable('-#', {}, error),
        '1ms 100ms 1ms 200ms 1ms #',
        {},
        error,
        { maxRetries: 2 },
      );
      expect(fake.requests).toHaveLength(3);
    });

    it('does not retry a non-retryable error (404)', () => {
      const error = new StreamNotFoundError({ ...init, status: 404 });
      const fake = run({ live: false }, () => scheduler.createColdObservable('-#', {}, error), '-#', {}, error);
      expect(fake.requests).toHaveLength(1);
    });

    it('resets the failure count after every step, so a long tail survives separated blips', () => {
      const a = step('1', 'x', { upToDate: true });
      const b = step('2', 'y', { upToDate: true });
      // Each request fails once, then succeeds: with maxRetries 1 that is fine forever.
      const fake = run(
        { live: 'long-poll' },
        (_req, i) =>
          i >= 6
            ? NEVER
            : i % 2 === 0
              ? scheduler.createColdObservable('-#', {}, serverError())
              : scheduler.createColdObservable('-v|', {
                  v: i === 1 ? a : i === 3 ? b : step('3', 'z', { upToDate: true }),
                }),
        // fail at 1, a at 102; fail at 104, b at 205; fail at 207, c at 308: every backoff is the first one again
        '102ms a 102ms b 102ms c',
        { a, b, c: step('3', 'z', { upToDate: true }) },
        undefined,
        { maxRetries: 1 },
      );
      expect(fake.requests).toHaveLength(7);
    });
  });

  describe('onError', () => {
    it('retries a 401 with the headers onError returns, and keeps them for later requests', () => {
      const a = step('1', 'x', { upToDate: true });
      const attempts: number[] = [];
      const unauthorized = new UnauthorizedError({ ...init, status: 401 });
      const fake = run(
        {
          live: 'long-poll',
          headers: { authorization: 'Bearer old', 'x-keep': 'yes' },
          onError: (error, attempt) => {
            attempts.push(attempt);
            return error instanceof UnauthorizedError ? { headers: { authorization: 'Bearer new' } } : undefined;
          },
        },
        (req, i) =>
          i === 0 || req.headers?.['authorization'] !== 'Bearer new'
            ? scheduler.createColdObservable('-#', {}, unauthorized)
            : i === 1
              ? scheduler.createColdObservable('-a|', { a })
              : NEVER,
        '1ms 100ms 1ms a',
        { a },
      );
      expect(attempts).toEqual([1]);
      expect(fake.requests.map((r) => r.headers)).toEqual([
        { authorization: 'Bearer old', 'x-keep': 'yes' },
        { authorization: 'Bearer new', 'x-keep': 'yes' },
        { authorization: 'Bearer new', 'x-keep': 'yes' },
      ]);
    });

    it("'stop' fails the read at once, even on a retryable error", () => {
      const error = serverError();
      const fake = run(
        { live: false, onError: () => 'stop' },
        () => scheduler.createColdObservable('-#', {}, error),
        '-#',
        {},
        error,
      );
      expect(fake.requests).toHaveLength(1);
    });

    it('undefined keeps the default: retryable errors retried, others not; attempts count consecutive failures', () => {
      const attempts: number[] = [];
      const notFound = new StreamNotFoundError({ ...init, status: 404 });
      run(
        { live: false, onError: (_e, attempt) => void attempts.push(attempt) },
        (_req, i) => scheduler.createColdObservable('-#', {}, i < 2 ? serverError() : notFound),
        '1ms 100ms 1ms 200ms 1ms #',
        {},
        notFound,
      );
      expect(attempts).toEqual([1, 2, 3]);
    });

    it("onError's attempt counts failures since the last step, within one SSE connection too", () => {
      const a = step('1', 'x', { upToDate: true });
      const b = step('2', 'y', { upToDate: true });
      const attempts: number[] = [];
      run(
        { live: 'sse', from: 'now', onError: (_e, attempt) => void attempts.push(attempt) },
        (_req, i) =>
          i < 2
            ? scheduler.createColdObservable('-#', {}, serverError())
            : i === 2
              ? // a connection that delivers a step, then fails: the step resets the count
                scheduler.createColdObservable('-a-#', { a }, serverError())
              : scheduler.createColdObservable('-b', { b }),
        // fail at 1 and 102 (backoff 100, 200); a at 303, the connection fails at 305; backoff 100 again, b at 406
        '303ms a 102ms b',
        { a, b },
        undefined,
        {},
        '^ 500ms !',
      );
      expect(attempts).toEqual([1, 2, 1]);
    });

    it('retries stay bounded by maxRetries even when onError always asks for a retry', () => {
      const unauthorized = new UnauthorizedError({ ...init, status: 401 });
      const fake = run(
        { live: false, onError: () => ({ headers: { authorization: 'x' } }) },
        () => scheduler.createColdObservable('-#', {}, unauthorized),
        '1ms 100ms 1ms 200ms 1ms #',
        {},
        unauthorized,
        {
          maxRetries: 2,
        },
      );
      expect(fake.requests).toHaveLength(3);
    });
  });

  describe('SSE', () => {
    const caughtUp = step('1', 'x', { upToDate: true });

    it('reconnects from the last control offset and cursor when the server ends the connection', () => {
      const b = step('2', 'y', { upToDate: true, cursor: 'k2' });
      const fake = run(
        { live: 'sse' },
        (_req, i) => scheduler.createColdObservable(['-a|', '--b|'][i] ?? '-', { a: caughtUp, b }),
        '-a--b',
        { a: caughtUp, b },
        undefined,
        {},
        '^ 100ms !',
      );
      expect(fake.requests.map((r) => [r.kind, r.offset, r.cursor])).toEqual([
        ['catch-up', '-1', undefined],
        ['sse', '1', undefined],
        ['sse', '2', 'k2'],
      ]);
    });

    it('never reconnects after streamClosed, and leaves the connection at once', () => {
      const closed = step('2', '', { upToDate: true, closed: true });
      let fake!: FakeReadSource;
      scheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
        const connection = cold('-c------', { c: closed });
        fake = new FakeReadSource(scheduler, (_req, i) => (i === 0 ? cold('-a|', { a: caughtUp }) : connection));
        expectObservable(readLoop(fake.open, loopConfig({ live: 'sse' }, scheduler))).toBe('-a-(c|)', {
          a: caughtUp,
          c: closed,
        });
        expectSubscriptions(connection.subscriptions).toBe('--^!');
      });
      expect(fake.requests).toHaveLength(2);
    });

    it("'auto' falls back to long-poll for good when the SSE request is refused", () => {
      const b = step('2', 'y', { upToDate: true });
      const fake = run(
        { live: 'auto' },
        (req, i) =>
          i === 0
            ? scheduler.createColdObservable('-a|', { a: caughtUp })
            : req.kind === 'sse'
              ? throwError(() => new UnexpectedStatusError({ ...init, status: 405 }))
              : scheduler.createColdObservable(i === 2 ? '--b|' : '-', { b }),
        '-a--b',
        { a: caughtUp, b },
      );
      expect(fake.kinds()).toEqual(['catch-up@-1', 'sse@1', 'long-poll@1', 'long-poll@2']);
    });

    it("'auto' falls back when no SSE event arrives within sseFallbackTimeoutMs (a buffering proxy)", () => {
      const fake = run(
        { live: 'auto', sseFallbackTimeoutMs: 50 },
        (req, i) =>
          i === 0
            ? scheduler.createColdObservable('-a|', { a: caughtUp })
            : req.kind === 'sse'
              ? NEVER
              : scheduler.createColdObservable<ReadStep<string>>('-'),
        '-a',
        { a: caughtUp },
      );
      expect(fake.requests.map((r) => [r.kind, r.at])).toEqual([
        ['catch-up', 0],
        ['sse', 2],
        ['long-poll', 52],
      ]);
      // Only the long-poll is open: the silent SSE connection was closed.
      expect(fake.active).toBe(1);
    });

    it("'auto' falls back when the server answers SSE with another content type", () => {
      const fake = run(
        { live: 'auto' },
        (req, i) =>
          i === 0
            ? scheduler.createColdObservable('-a|', { a: caughtUp })
            : req.kind === 'sse'
              ? throwError(() => new SseUnavailableError({ ...init, reason: 'content-type' }))
              : NEVER,
        '-a',
        { a: caughtUp },
      );
      expect(fake.kinds()).toEqual(['catch-up@-1', 'sse@1', 'long-poll@1']);
    });

    it("'auto' does not fall back on 401: that is about credentials, and goes to onError", () => {
      const errors: number[] = [];
      const fake = run(
        { live: 'auto', onError: (error) => (errors.push(error.status), { headers: { authorization: 'fresh' } }) },
        (req, i) =>
          i === 0
            ? scheduler.createColdObservable('-a|', { a: caughtUp })
            : req.headers?.['authorization'] === 'fresh'
              ? NEVER
              : throwError(() => new UnauthorizedError({ ...init, status: 401 })),
        '-a',
        { a: caughtUp },
        undefined,
        {},
        '^ 1000ms !',
      );
      expect(errors).toEqual([401]);
      // Not a fallback to long-poll: the retry, with the fresh token, catches up first, then goes live over SSE again.
      expect(fake.kinds()).toEqual(['catch-up@-1', 'sse@1', 'catch-up@1']);
      expect(fake.requests[2].headers).toEqual({ authorization: 'fresh' });
    });

    it("'auto' keeps SSE once it has worked: after a later failure it catches up, then goes live over SSE again", () => {
      const b = step('2', 'y', { upToDate: true });
      const fake = run(
        { live: 'auto' },
        (_req, i) =>
          [
            scheduler.createColdObservable('-a|', { a: caughtUp }),
            scheduler.createColdObservable('-b-#', { b }, serverError()),
            scheduler.createColdObservable('-c|', { c: step('2', '', { upToDate: true }) }),
          ][i] ?? NEVER,
        '-a-b',
        { a: caughtUp, b },
        undefined,
        {},
        '^ 1000ms !',
      );
      expect(fake.kinds()).toEqual(['catch-up@-1', 'sse@1', 'catch-up@2', 'sse@2']);
    });

    it("'sse' surfaces a refusal instead of falling back", () => {
      const error = new BadRequestError({ ...init, status: 400 });
      const fake = run(
        { live: 'sse' },
        (_req, i) => (i === 0 ? scheduler.createColdObservable('-a|', { a: caughtUp }) : throwError(() => error)),
        '-a#',
        { a: caughtUp },
        error,
      );
      expect(fake.kinds()).toEqual(['catch-up@-1', 'sse@1']);
    });

    it('reopens a connection that went silent (its request fails with a body TimeoutError) from the last offset, caught up first', () => {
      const b = step('1', '', { upToDate: true, cursor: 'k' });
      const silence = new TimeoutError({ ...init, timeoutMs: 30, phase: 'body' });
      const fake = run(
        { live: 'sse' },
        (req, i) =>
          i === 0
            ? scheduler.createColdObservable('-a|', { a: caughtUp })
            : req.kind === 'catch-up'
              ? scheduler.createColdObservable('-b|', { b })
              : scheduler.createColdObservable(i === 1 ? '-b 30ms #' : '-', { b }, silence),
        '-a',
        { a: caughtUp },
        undefined,
        {},
        '^ 300ms !',
      );
      // connect at 2, keep-alive at 3, silent until 34: after the backoff (100 ms) catch up at 134, then SSE again at 136.
      expect(fake.requests.map((r) => [r.kind, r.at])).toEqual([
        ['catch-up', 0],
        ['sse', 2],
        ['catch-up', 134],
        ['sse', 136],
      ]);
    });
  });

  describe('teardown and long tails', () => {
    it('unsubscribing aborts the request in flight and cancels a pending backoff timer', () => {
      const counter = new TimerCounter(scheduler);
      scheduler.run(({ cold, expectSubscriptions }) => {
        const failing = cold<ReadStep<string>>('-#', {}, new NetworkError({ ...init, notSent: true }));
        const fake = new FakeReadSource(scheduler, () => failing);
        const config = { ...loopConfig({ live: 'long-poll' }, counter) };
        let subscription!: Subscription;
        scheduler.schedule(() => (subscription = readLoop(fake.open, config).subscribe()), 0);
        // t=1 the request fails; a 100 ms backoff timer is pending at t=50.
        scheduler.schedule(() => {
          expect(counter.pending).toBe(1);
          subscription.unsubscribe();
          expect(counter.pending).toBe(0);
        }, 50);
        expectSubscriptions(failing.subscriptions).toBe('^!');
      });
      expect(counter.pending).toBe(0);
    });

    it('unsubscribed from within a request that answers at once, leaves nothing open and sends nothing more', () => {
      const counter = new TimerCounter(scheduler);
      // Answers that come synchronously: the read is left while its first request is still being subscribed.
      const fake = new FakeReadSource(scheduler, (req) => of(step(req.offset === '-1' ? '000001' : '000002', 'x')));
      const seen: string[] = [];
      const subscription = readLoop(fake.open, loopConfig({ live: 'long-poll' }, counter))
        .pipe(take(1))
        .subscribe((s) => seen.push(s.offset));
      expect(seen).toEqual(['000001']);
      expect(subscription.closed).toBe(true);
      expect(fake.requests).toHaveLength(1);
      expect(fake.active).toBe(0);
      expect(counter.pending).toBe(0);
    });

    it('a request that answers at once is let go before the next is sent, and leaving after five sends no sixth', () => {
      const counter = new TimerCounter(scheduler);
      let n = 0;
      const fake = new FakeReadSource(scheduler, () => of(step(String(++n).padStart(6, '0'), 'x', { upToDate: true })));
      const seen: string[] = [];
      readLoop(fake.open, loopConfig({ live: 'long-poll' }, counter))
        .pipe(take(5))
        .subscribe((s) => seen.push(s.offset));
      expect(seen).toEqual(['000001', '000002', '000003', '000004', '000005']);
      expect(fake.requests).toHaveLength(5);
      expect(fake.maxActive).toBe(1);
      expect(fake.active).toBe(0);
      expect(counter.pending).toBe(0);
    });

    it('tails 1000 long-polls with one request at a time and no growth of subscriptions, stack or timers', () => {
      const counter = new TimerCounter(scheduler);
      const sizes: number[] = [];
      const depths: number[] = [];
      let fake!: FakeReadSource;
      let subscription!: Subscription;
      let seen = 0;
      scheduler.run(() => {
        fake = new FakeReadSource(scheduler, (req) => {
          // Offsets sort lexicographically, as the protocol requires: fixed width.
          const next = String(Number(req.offset === '-1' ? 0 : req.offset) + 1).padStart(6, '0');
          return scheduler.createColdObservable('-a|', { a: step(next, 'x', { upToDate: true, cursor: `c${next}` }) });
        });
        const config = loopConfig({ live: 'long-poll' }, counter);
        subscription = readLoop(fake.open, config).subscribe((s) => {
          seen += 1;
          expect(s.offset).toBe(String(seen).padStart(6, '0'));
          if (seen === 10 || seen === 1000) {
            sizes.push(subscriptionTreeSize(subscription));
            depths.push(new Error().stack!.split('\n').length);
          }
          if (seen === 1000) subscription.unsubscribe();
        });
      });
      expect(seen).toBe(1000);
      expect(fake.requests).toHaveLength(1000);
      expect(fake.maxActive).toBe(1);
      expect(sizes[1]).toBe(sizes[0]);
      expect(depths[1]).toBe(depths[0]);
      expect(fake.active).toBe(0);
      expect(counter.pending).toBe(0);
    });

    it('each subscription is an independent read with its own position', () => {
      const a = step('1', 'x', { upToDate: true });
      scheduler.run(({ expectObservable }) => {
        const fake = new FakeReadSource(scheduler, (req) =>
          req.offset === '-1' ? scheduler.createColdObservable('-a|', { a }) : NEVER,
        );
        const read = readLoop(fake.open, loopConfig({ live: 'long-poll' }, scheduler));
        expectObservable(read).toBe('-a', { a });
        expectObservable(read).toBe('-a', { a });
      });
    });

    it('is lazy: nothing is requested before subscribe', () => {
      const fake = new FakeReadSource(scheduler, () => of(step('1')));
      readLoop(fake.open, loopConfig({ live: false }, scheduler));
      expect(fake.requests).toHaveLength(0);
    });

    it('a source error without a type passes through untouched', () => {
      const boom = new Error('boom');
      const fake = run({ live: false }, () => new Observable<ReadStep<string>>((s) => s.error(boom)), '#', {}, boom);
      expect(fake.requests).toHaveLength(1);
    });
  });
});
