import { Observable, Subject } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { NetworkError, TimeoutError } from '../../lib/errors/client-errors';
import { BadRequestError, RateLimitedError, RequestTimeoutError, ServerError } from '../../lib/errors/http-errors';
import { errorFromResponse } from '../../lib/errors/error-from-response';
import { resolveRetryConfig } from '../../lib/retry/retry-config';
import { isSafeToRepeat } from '../../lib/retry/retry-safety';
import { retryWithBackoff } from '../../lib/retry/retry-with-backoff';

const url = 'http://x/s';
const noJitter = { initialDelayMs: 10, maxDelayMs: 40, multiplier: 2, jitter: false };
const scheduler = () => new TestScheduler((actual, expected) => expect(actual).toEqual(expected));

describe('retryWithBackoff: endless, wakeable, truthful (virtual time)', () => {
  it('accepts maxRetries: Infinity, and then never gives up, with waits capped at maxDelayMs', () => {
    expect(resolveRetryConfig({ maxRetries: Infinity }).maxRetries).toBe(Infinity);
    const ts = scheduler();
    const at: number[] = [];
    ts.run(({ expectObservable }) => {
      let n = 0;
      // 500 failures in a row, then an answer: still retrying at the end, each wait at most 40 ms.
      const flaky = new Observable<string>((subscriber) => {
        at.push(ts.now());
        if (++n <= 500) subscriber.error(new NetworkError({ url }));
        else {
          subscriber.next('a');
          subscriber.complete();
        }
      });
      expectObservable(flaky.pipe(retryWithBackoff({ ...noJitter, maxRetries: Infinity }, ts))).toBe(
        `${10 + 20 + 40 * 498}ms (a|)`,
      );
    });
    const gaps = at.slice(1).map((t, i) => t - at[i]);
    expect(Math.max(...gaps)).toBe(40);
    expect(at).toHaveLength(501);
  });

  it('a wake ends the wait at once; the next wait starts from the backoff again', () => {
    const ts = scheduler();
    ts.run(({ cold, hot, expectObservable, expectSubscriptions }) => {
      const source = cold('-#', {}, new NetworkError({ url }));
      const wake = hot('----------------w');
      expectObservable(
        source.pipe(
          retryWithBackoff({ initialDelayMs: 1_000, maxDelayMs: 1_000, jitter: false, maxRetries: Infinity }, ts, {
            wake,
          }),
        ),
        '^ 1500ms !',
      ).toBe('');
      // fails at 1, would wait 1 000 ms; the wake at 16 resubscribes at once; fails at 17, waits 1 000 ms.
      expectSubscriptions(source.subscriptions).toBe(['^!', '16ms ^!', '1017ms ^!']);
    });
  });

  it('a wake leaves no subscription behind after the retry', () => {
    const ts = scheduler();
    const wake = new Subject<void>();
    ts.run(({ cold, expectObservable }) => {
      expectObservable(
        cold('-#', {}, new NetworkError({ url })).pipe(retryWithBackoff({ ...noJitter, maxRetries: 1 }, ts, { wake })),
      ).toBe('12ms #', {}, expect.any(NetworkError));
    });
    expect(wake.observed).toBe(false);
  });
});

describe('retry messages tell what was done', () => {
  const run = (error: Error, config: object, options = {}) => {
    const ts = scheduler();
    let caught: Error | undefined;
    ts.run(({ cold }) => {
      cold('-#', {}, error)
        .pipe(retryWithBackoff({ ...noJitter, ...config }, ts, options))
        .subscribe({ error: (e: Error) => (caught = e) });
    });
    return caught!;
  };

  it('after giving up: how many attempts, over how long, and the bound', () => {
    const error = run(new ServerError({ url, status: 503 }), { maxRetries: 2 });
    expect(error.message).toMatch(/Failed 3 attempts over 0\.0 s; gave up \(retry\.maxRetries is 2\)/);
    expect((error as ServerError).attempts).toBe(3);
    expect(error.message).not.toMatch(/retried automatically/i);
  });

  it('with maxRetries 0: not retried, and why', () => {
    const error = run(new NetworkError({ url }), { maxRetries: 0 });
    expect(error.message).toMatch(/Not retried \(retry\.maxRetries is 0\)/);
    expect((error as NetworkError).attempts).toBe(1);
  });

  it('refused by retryIf: the caller says why', () => {
    const error = run(
      new ServerError({ url, status: 500 }),
      { maxRetries: 3 },
      { retryIf: () => false, notRetried: () => 'Not retried: it may have been applied' },
    );
    expect(error.message).toMatch(/Not retried: it may have been applied$/);
  });

  it('a Retry-After beyond maxRetryAfterMs: not retried, and the wait it asked for', () => {
    const error = run(new RateLimitedError({ url, status: 429, retryAfterMs: 120_000 }), { maxRetries: 3 });
    expect(error.message).toMatch(/asked to wait 120 s, longer than retry\.maxRetryAfterMs \(60 s\)/);
  });

  it('a definitive error gets no note: it says what it is', () => {
    const bad = new BadRequestError({ url, status: 400 });
    const message = bad.message;
    expect(run(bad, { maxRetries: 3 }).message).toBe(message);
  });

  it('no error class claims a retry by itself', () => {
    for (const error of [
      new NetworkError({ url }),
      new TimeoutError({ url, timeoutMs: 5 }),
      new ServerError({ url, status: 500 }),
      new RateLimitedError({ url, status: 429 }),
    ]) {
      expect(error.message).not.toMatch(/retried/i);
    }
  });
});

describe('408 and timeouts before a connection', () => {
  it('408 is a RequestTimeoutError: retryable, and safe to repeat even for a plain append', () => {
    const error = errorFromResponse(408, {}, '', { url, method: 'POST', headers: {} });
    expect(error).toBeInstanceOf(RequestTimeoutError);
    expect(error.isRetryable).toBe(true);
    expect(isSafeToRepeat(error)).toBe(true);
  });

  it('a timeout while waiting for a connection never sent the request: safe to repeat; one after sending is not', () => {
    expect(isSafeToRepeat(new TimeoutError({ url, timeoutMs: 5, phase: 'connection' }))).toBe(true);
    for (const phase of ['headers', 'response', 'body'] as const)
      expect(isSafeToRepeat(new TimeoutError({ url, timeoutMs: 5, phase }))).toBe(false);
  });

  it('timeout messages say where the time went', () => {
    expect(new TimeoutError({ url, timeoutMs: 5_000, phase: 'connection' }).message).toMatch(
      /No connection within 5000 ms.*never sent/,
    );
    expect(new TimeoutError({ url, timeoutMs: 5_000, phase: 'headers' }).message).toMatch(
      /No response headers within 5000 ms of sending/,
    );
    expect(new TimeoutError({ url, timeoutMs: 5_000, phase: 'response' }).message).toMatch(
      /waiting for a connection included/,
    );
    expect(new TimeoutError({ url, timeoutMs: 5_000, phase: 'body' }).message).toMatch(/stalled: no data for 5000 ms/);
  });
});
