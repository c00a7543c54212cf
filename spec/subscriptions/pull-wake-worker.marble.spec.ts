import { Observable, of, type ObservableInput } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { InvalidArgumentError } from '../../lib/index';
import { resolveRetryConfig } from '../../lib/retry/retry-config';
import { pullWakeWorker, type PullWakeSubscription } from '../../lib/subscriptions/pull-wake-worker';
import {
  AlreadyClaimedError,
  NoPendingWorkError,
  SubscriptionNotFoundError,
} from '../../lib/subscriptions/subscription-errors';
import type { Ack, WakeClaim, WakeEvent } from '../../lib/subscriptions/subscription-types';
import type { ProcessOptions, Wake } from '../../lib/subscriptions/worker-types';

const URL_ = 'http://s.test/v1/stream/__ds/subscriptions/sub-1';
const init = { url: URL_, subscriptionId: 'sub-1' };
const noWork = new NoPendingWorkError(init);
const taken = new AlreadyClaimedError({ ...init, currentHolder: 'other' });

const claim = (generation: number): WakeClaim => ({
  wakeId: `w_${generation}`,
  generation,
  token: 't',
  leaseTtlMs: 30,
  streams: [{ path: 'a', linkType: 'glob', ackedOffset: '0_1', tailOffset: '0_5', hasPending: true }],
});

const wake = (subscriptionId: string): WakeEvent => ({ subscriptionId, stream: 'a', generation: 1, ts: 0 });

describe('pullWakeWorker in virtual time', () => {
  let scheduler: TestScheduler;
  beforeEach(() => {
    scheduler = new TestScheduler((actual, expected) => expect(actual).toEqual(expected));
  });

  /** A subscription whose claims answer from `answers` in order (then NO_PENDING_WORK), recording when each claim and control request was sent. */
  function fake(
    answers: Array<(claim: (g: number) => WakeClaim) => Observable<WakeClaim>>,
    events: Observable<WakeEvent>,
    extra: Partial<PullWakeSubscription> = {},
  ) {
    const log: string[] = [];
    const subscription: PullWakeSubscription = {
      id: 'sub-1',
      url: URL_,
      scheduler,
      retry: resolveRetryConfig({ initialDelayMs: 10, maxDelayMs: 40, jitter: false }),
      claim: (worker) =>
        new Observable<WakeClaim>((subscriber) => {
          expect(worker).toBe('w1');
          log.push(`claim@${scheduler.now()}`);
          const answer = answers.shift();
          return (answer ? answer(claim) : scheduler.createColdObservable<WakeClaim>('-#', {}, noWork)).subscribe(
            subscriber,
          );
        }),
      control: {
        ack: (held, _acks, done) =>
          new Observable((subscriber) => {
            log.push(`${done ? 'done' : 'heartbeat'}(${held.wakeId})@${scheduler.now()}`);
            return scheduler.createColdObservable('-(r|)', { r: { nextWake: false } }).subscribe(subscriber);
          }),
        release: (held) =>
          new Observable<void>((subscriber) => {
            log.push(`release(${held.wakeId})@${scheduler.now()}`);
            subscriber.complete();
          }),
      },
      wakeStream: () => of('wake/pool'),
      wakeEvents: (path) => {
        expect(path).toBe('wake/pool');
        return events;
      },
      wakeFor: (c, signal) => ({ wakeId: c.wakeId, signal }) as Wake,
      ...extra,
    };
    return { subscription, log };
  }

  const options: ProcessOptions = { worker: 'w1', claimIntervalMs: 100 };

  it('claims at start, on each wake event of its subscription, and every claimIntervalMs', () => {
    scheduler.run(({ hot, expectObservable }) => {
      const events = hot<WakeEvent>('20ms a 9ms b', { a: wake('sub-1'), b: wake('sub-other') });
      const { subscription, log } = fake([], events);
      expectObservable(
        pullWakeWorker(subscription, options, () => []),
        '^ 250ms !',
      ).toBe('');
      scheduler.flush();
      expect(log).toEqual(['claim@0', 'claim@20', 'claim@100', 'claim@200']);
    });
  });

  it('drains: after each wake it claims again at once, until the server has nothing to hand out', () => {
    scheduler.run(({ cold, hot, expectObservable }) => {
      const { subscription, log } = fake(
        [(c) => cold('-(c|)', { c: c(1) }), (c) => cold('-(c|)', { c: c(2) }), () => cold('-#', {}, taken)],
        hot('-'),
      );
      const outcomes = pullWakeWorker(subscription, options, () => cold<Ack>('5ms |'));
      expectObservable(outcomes.pipe(), '^ 50ms !').toBe('7ms a 6ms b', {
        a: expect.objectContaining({ kind: 'completed' }),
        b: expect.anything(),
      });
      scheduler.flush();
      expect(log).toEqual(['claim@0', 'done(w_1)@6', 'claim@7', 'done(w_2)@13', 'claim@14']);
    });
  });

  it('drops signals while it drains rather than queueing claims', () => {
    scheduler.run(({ cold, hot, expectObservable }) => {
      const events = hot<WakeEvent>('2ms a 1ms a 1ms a', { a: wake('sub-1') });
      const { subscription, log } = fake([(c) => cold('-(c|)', { c: c(1) })], events);
      expectObservable(
        pullWakeWorker(subscription, options, () => cold<Ack>('8ms |')),
        '^ 30ms !',
      ).toBe('10ms a', { a: expect.anything() });
      scheduler.flush();
      expect(log).toEqual(['claim@0', 'done(w_1)@9', 'claim@10']);
    });
  });

  it('emits failed and lost as values, and waits with backoff after failures before claiming again', () => {
    scheduler.run(({ cold, hot, expectObservable }) => {
      const boom = new Error('poison');
      const { subscription, log } = fake(
        [(c) => cold('-(c|)', { c: c(1) }), (c) => cold('-(c|)', { c: c(2) }), (c) => cold('-(c|)', { c: c(3) })],
        hot('-'),
      );
      let calls = 0;
      const handler = (): ObservableInput<Ack> => (++calls < 3 ? cold<Ack>('1ms #', {}, boom) : cold<Ack>('1ms |'));
      expectObservable(pullWakeWorker(subscription, options, handler), '^ 60ms !').toBe('2ms a 11ms b 22ms c', {
        a: expect.objectContaining({ kind: 'failed', error: boom }),
        b: expect.objectContaining({ kind: 'failed' }),
        c: expect.objectContaining({ kind: 'completed' }),
      });
      scheduler.flush();
      // Backoff 10 ms after the first failure, 20 ms after the second; none after a success.
      expect(log).toEqual([
        'claim@0',
        'release(w_1)@2',
        'claim@12',
        'release(w_2)@14',
        'claim@34',
        'done(w_3)@36',
        'claim@37',
      ]);
    });
  });

  it('learns the wake stream from the subscription unless told', () => {
    scheduler.run(({ hot, expectObservable }) => {
      const asked: string[] = [];
      const { subscription } = fake([], hot('-'), {
        wakeStream: () => {
          asked.push('get');
          return of('wake/pool');
        },
      });
      expectObservable(
        pullWakeWorker(subscription, options, () => []),
        '^ 5ms !',
      ).toBe('');
      expectObservable(
        pullWakeWorker(subscription, { ...options, wakeStream: 'wake/pool' }, () => []),
        '^ 5ms !',
      ).toBe('');
      scheduler.flush();
      expect(asked).toEqual(['get']);
    });
  });

  it('errors when it cannot go on: the subscription is gone, or the wake stream fails', () => {
    scheduler.run(({ cold, hot, expectObservable }) => {
      const gone = new SubscriptionNotFoundError(init);
      const { subscription } = fake([() => cold('-#', {}, gone)], hot('-'));
      expectObservable(pullWakeWorker(subscription, options, () => [])).toBe('-#', {}, gone);
      const broken = new Error('wake stream');
      const { subscription: second } = fake([], cold('3ms #', {}, broken));
      expectObservable(pullWakeWorker(second, options, () => [])).toBe('3ms #', {}, broken);
    });
  });

  it('releases the wake it holds when unsubscribed, and claims no more', () => {
    scheduler.run(({ cold, hot, expectObservable }) => {
      const { subscription, log } = fake([(c) => cold('-(c|)', { c: c(1) })], hot('-'));
      expectObservable(pullWakeWorker(subscription, options, () => cold<Ack>('100ms |')).pipe(), '^ 15ms !').toBe('');
      scheduler.flush();
      expect(log).toEqual(['claim@0', 'heartbeat(w_1)@11', 'release(w_1)@16']);
    });
  });

  it('checks its options', () => {
    const { subscription } = fake([], of());
    // At the call (issue #22 item 6): nothing waits for a subscribe to refuse them.
    const errorOf = (o: ProcessOptions, handler: unknown = () => []) => {
      try {
        pullWakeWorker(subscription, o, handler as never);
      } catch (error) {
        return error;
      }
      return 'no error at the call';
    };
    expect(errorOf({ worker: '' })).toBeInstanceOf(InvalidArgumentError);
    expect(errorOf({ worker: 'w', heartbeatIntervalMs: 0 })).toEqual(
      expect.objectContaining({ message: expect.stringMatching(/heartbeatIntervalMs must be a positive/) }),
    );
    expect(errorOf({ worker: 'w' }, 'nope')).toEqual(
      expect.objectContaining({ message: expect.stringMatching(/handler must be a function/) }),
    );
  });
});
