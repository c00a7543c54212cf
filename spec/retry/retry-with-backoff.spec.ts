import { TestScheduler } from 'rxjs/testing';
import { defer, map, type Observable } from 'rxjs';
import { backoffDelay, retryWithBackoff } from '../../lib/retry/retry-with-backoff';
import { resolveRetryConfig } from '../../lib/retry/retry-config';
import { BadRequestError, RateLimitedError, ServerError, StreamNotFoundError } from '../../lib/errors/http-errors';
import { NetworkError } from '../../lib/errors/client-errors';

const url = 'http://x/s';
const serverError = new ServerError({ url, status: 500 });
const noJitter = { initialDelayMs: 10, maxDelayMs: 40, multiplier: 2, jitter: false };

function scheduler(): TestScheduler {
  return new TestScheduler((actual, expected) => expect(actual).toEqual(expected));
}

describe('retryWithBackoff (virtual time)', () => {
  it('resubscribes after retryable errors, waiting initial * multiplier^n, capped at maxDelay', () => {
    const ts = scheduler();
    ts.run(({ cold, expectObservable, expectSubscriptions }) => {
      const source = cold('-#', {}, serverError);
      const result = source.pipe(retryWithBackoff({ ...noJitter, maxRetries: 4 }, ts));
      // attempts at 0, 1+10=11, 12+20=32, 33+40=73, 74+40=114; each fails 1 frame later.
      expectObservable(result).toBe('115ms #', {}, serverError);
      expectSubscriptions(source.subscriptions).toBe(['^!', '11ms ^!', '32ms ^!', '73ms ^!', '114ms ^!']);
    });
  });

  it('never retries a non-retryable error', () => {
    const ts = scheduler();
    ts.run(({ cold, expectObservable, expectSubscriptions }) => {
      const notFound = new StreamNotFoundError({ url, status: 404 });
      const source = cold('--#', {}, notFound);
      expectObservable(source.pipe(retryWithBackoff({ ...noJitter, maxRetries: 5 }, ts))).toBe('--#', {}, notFound);
      expectSubscriptions(source.subscriptions).toBe(['^-!']);
    });
  });

  it('gives up after maxRetries and emits the last error', () => {
    const ts = scheduler();
    ts.run(({ cold, expectObservable, expectSubscriptions }) => {
      const source = cold('#', {}, serverError);
      expectObservable(source.pipe(retryWithBackoff({ ...noJitter, maxRetries: 1 }, ts))).toBe(
        '10ms #',
        {},
        serverError,
      );
      expectSubscriptions(source.subscriptions).toBe(['(^!)', '10ms (^!)']);
    });
  });

  it('with maxRetries 0 fails at once', () => {
    const ts = scheduler();
    ts.run(({ cold, expectObservable }) => {
      expectObservable(cold('#', {}, serverError).pipe(retryWithBackoff({ ...noJitter, maxRetries: 0 }, ts))).toBe(
        '#',
        {},
        serverError,
      );
    });
  });

  it('waits the Retry-After of a 429 instead of the backoff', () => {
    const ts = scheduler();
    let attempt = 0;
    ts.run(({ cold, expectObservable }) => {
      const limited = new RateLimitedError({ url, status: 429, retryAfterMs: 500 });
      const source: Observable<string> = defer(() => (attempt++ === 0 ? cold('#', {}, limited) : cold('a|')));
      expectObservable(source.pipe(retryWithBackoff({ ...noJitter, maxRetries: 3 }, ts))).toBe('500ms a|');
    });
    expect(attempt).toBe(2);
  });

  it('does not wait out a Retry-After longer than maxRetryAfterMs: the error passes through at once', () => {
    const ts = scheduler();
    ts.run(({ cold, expectObservable, expectSubscriptions }) => {
      const limited = new RateLimitedError({ url, status: 429, retryAfterMs: 500 });
      const unavailable = new ServerError({ url, status: 503, retryAfterMs: 500 });
      const source = cold('-#', {}, limited);
      expectObservable(source.pipe(retryWithBackoff({ ...noJitter, maxRetries: 3, maxRetryAfterMs: 499 }, ts))).toBe(
        '-#',
        {},
        limited,
      );
      expectSubscriptions(source.subscriptions).toBe(['^!']);
      expectObservable(
        cold('#', {}, unavailable).pipe(retryWithBackoff({ ...noJitter, maxRetries: 3, maxRetryAfterMs: 499 }, ts)),
      ).toBe('#', {}, unavailable);
      // At the bound, and with Infinity, it is waited out.
      const atBound = cold('-#', {}, limited);
      expectObservable(atBound.pipe(retryWithBackoff({ ...noJitter, maxRetries: 1, maxRetryAfterMs: 500 }, ts))).toBe(
        '502ms #',
        {},
        limited,
      );
      expectSubscriptions(atBound.subscriptions).toBe(['^!', '501ms ^!']);
      expectObservable(
        cold('-#', {}, limited).pipe(retryWithBackoff({ ...noJitter, maxRetries: 1, maxRetryAfterMs: Infinity }, ts)),
      ).toBe('502ms #', {}, limited);
    });
  });

  it('waits out a Retry-After up to a minute by default, not beyond', () => {
    const ts = scheduler();
    ts.run(({ cold, expectObservable }) => {
      const minute = new RateLimitedError({ url, status: 429, retryAfterMs: 60_000 });
      const longer = new RateLimitedError({ url, status: 429, retryAfterMs: 60_001 });
      expectObservable(cold('#', {}, minute).pipe(retryWithBackoff({ maxRetries: 1 }, ts))).toBe(
        '60000ms #',
        {},
        minute,
      );
      expectObservable(cold('#', {}, longer).pipe(retryWithBackoff({ maxRetries: 1 }, ts))).toBe('#', {}, longer);
    });
  });

  it('resets the count after a success, so separated blips never exhaust it', () => {
    const ts = scheduler();
    ts.run(({ expectObservable }) => {
      // Each attempt emits a value, then fails: with a reset the delay stays at initialDelayMs forever.
      let attempts = 0;
      const source = defer(() => {
        attempts++;
        return ts.createColdObservable('a#', { a: attempts }, serverError);
      });
      const result = source.pipe(
        retryWithBackoff({ ...noJitter, maxRetries: 1 }, ts),
        map((n) => String(n)),
      );
      // attempts start at 0, 11, 22, 33 ... (1 frame + 10 ms each): five values by 44ms.
      expectObservable(result, '^ 50ms !').toBe('1 10ms 2 10ms 3 10ms 4 10ms 5', {
        1: '1',
        2: '2',
        3: '3',
        4: '4',
        5: '5',
      });
    });
  });

  it('retries network errors and leaves others to retryIf', () => {
    const ts = scheduler();
    ts.run(({ cold, expectObservable }) => {
      const network = new NetworkError({ url, cause: new Error('reset') });
      const bad = new BadRequestError({ url, status: 400 });
      const retryIfBadRequest = (e: unknown) => e instanceof BadRequestError;
      expectObservable(
        cold('#', {}, bad).pipe(retryWithBackoff({ ...noJitter, maxRetries: 1 }, ts, { retryIf: retryIfBadRequest })),
      ).toBe('10ms #', {}, bad);
      expectObservable(
        cold('#', {}, network).pipe(
          retryWithBackoff({ ...noJitter, maxRetries: 1 }, ts, { retryIf: retryIfBadRequest }),
        ),
      ).toBe('#', {}, network);
    });
  });

  it('unsubscribing during a backoff wait cancels the retry', () => {
    const ts = scheduler();
    ts.run(({ cold, expectObservable, expectSubscriptions }) => {
      const source = cold('#', {}, serverError);
      expectObservable(source.pipe(retryWithBackoff({ ...noJitter, maxRetries: 5 }, ts)), '^ 5ms !').toBe('');
      expectSubscriptions(source.subscriptions).toBe(['(^!)']);
    });
  });

  it('reports each retry to onRetry with the attempt and delay', () => {
    const ts = scheduler();
    const seen: Array<[number, number]> = [];
    ts.run(({ cold, expectObservable }) => {
      const result = cold('#', {}, serverError).pipe(
        retryWithBackoff({ ...noJitter, maxRetries: 2 }, ts, {
          onRetry: (_e, attempt, delay) => seen.push([attempt, delay]),
        }),
      );
      expectObservable(result).toBe('30ms #', {}, serverError);
    });
    expect(seen).toEqual([
      [1, 10],
      [2, 20],
    ]);
  });
});

describe('backoffDelay', () => {
  const config = resolveRetryConfig({ initialDelayMs: 100, maxDelayMs: 1000, multiplier: 3, jitter: true });

  it('draws full jitter from [0, cap)', () => {
    expect(backoffDelay(config, 1, serverError, () => 0)).toBe(0);
    expect(backoffDelay(config, 1, serverError, () => 0.5)).toBe(50);
    expect(backoffDelay(config, 3, serverError, () => 0.999)).toBe(899);
    expect(backoffDelay(config, 10, serverError, () => 0.5)).toBe(500);
  });

  it('prefers the Retry-After of a 503', () => {
    const unavailable = new ServerError({ url, status: 503, retryAfterMs: 2000 });
    expect(backoffDelay(config, 1, unavailable, () => 0.5)).toBe(2000);
  });
});

describe('resolveRetryConfig', () => {
  it.each([
    [{ maxRetries: -1 }, /maxRetries must be a whole number >= 0, or Infinity, got -1/],
    [{ maxRetries: 1.5 }, /maxRetries/],
    [{ initialDelayMs: 0 }, /initialDelayMs must be > 0, got 0/],
    [{ initialDelayMs: 100, maxDelayMs: 50 }, /maxDelayMs \(50\) must be >= retry.initialDelayMs \(100\)/],
    [{ multiplier: 0.5 }, /multiplier must be >= 1, got 0.5/],
    [{ maxRetryAfterMs: -1 }, /maxRetryAfterMs must be >= 0 \(Infinity for any\), got -1/],
    [{ maxRetryAfterMs: Number.NaN }, /maxRetryAfterMs must be >= 0/],
  ])('rejects %p', (config, message) => {
    expect(() => resolveRetryConfig(config)).toThrow(message);
  });

  it('fills defaults and freezes', () => {
    const config = resolveRetryConfig({ maxRetries: 2 });
    expect(config).toEqual({
      maxRetries: 2,
      initialDelayMs: 100,
      maxDelayMs: 10_000,
      multiplier: 2,
      jitter: true,
      maxRetryAfterMs: 60_000,
    });
    expect(Object.isFrozen(config)).toBe(true);
  });
});
