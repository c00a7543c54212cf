import { mergeMap, NEVER, Observable, of, throwError, type ObservableInput } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { InvalidArgumentError, NetworkError } from '../../lib/index';
import { runWake, type HeldWake, type WakeControl } from '../../lib/subscriptions/run-wake';
import { InvalidAckError, LeaseExpiredError, WakeFencedError } from '../../lib/subscriptions/subscription-errors';
import type { Ack, AckResult, WakeRef } from '../../lib/subscriptions/subscription-types';
import type { Wake, WakeHandler, WakeOutcome } from '../../lib/subscriptions/worker-types';

const URL_ = 'http://s.test/v1/stream/__ds/subscriptions/sub-1';

const held = (leaseTtlMs = 30): HeldWake => ({
  subscriptionId: 'sub-1',
  wakeId: 'w_1',
  generation: 3,
  token: 'tok',
  leaseTtlMs,
  leaseStartedAt: 0,
  streams: [
    { path: 'a', linkType: 'glob', ackedOffset: '0_1', tailOffset: '0_5', hasPending: true },
    { path: 'b', linkType: 'glob', ackedOffset: '0_2', tailOffset: '0_7', hasPending: true },
    { path: 'c', linkType: 'explicit', ackedOffset: '0_3', tailOffset: '0_3', hasPending: false },
  ],
});

interface Sent {
  readonly at: number;
  readonly kind: 'heartbeat' | 'done' | 'release';
  readonly acks?: readonly Ack[];
}

/** A control whose answers the spec scripts per request, recording what was sent and when. */
function fakeControl(
  scheduler: TestScheduler,
  answer: (sent: Sent, index: number) => Observable<AckResult | undefined>,
) {
  const sent: Sent[] = [];
  const control: WakeControl = {
    ack: (wake: WakeRef, acks, done) =>
      new Observable<AckResult>((subscriber) => {
        expect(wake).toMatchObject({ wakeId: 'w_1', generation: 3, token: 'tok' });
        const request: Sent = {
          at: scheduler.now(),
          kind: done ? 'done' : 'heartbeat',
          ...(acks.length > 0 ? { acks } : {}),
        };
        sent.push(request);
        return (answer(request, sent.length - 1) as Observable<AckResult>).subscribe(subscriber);
      }),
    release: () =>
      new Observable<void>((subscriber) => {
        const request: Sent = { at: scheduler.now(), kind: 'release' };
        sent.push(request);
        return (answer(request, sent.length - 1) as Observable<void>).subscribe(subscriber);
      }),
  };
  return { control, sent };
}

const wakeFor = (signal: AbortSignal) => ({ signal }) as Wake;

describe('runWake in virtual time', () => {
  let scheduler: TestScheduler;
  beforeEach(() => {
    scheduler = new TestScheduler((actual, expected) => expect(actual).toEqual(expected));
  });

  const run = (
    handler: WakeHandler,
    answer: (sent: Sent, index: number) => Observable<AckResult | undefined>,
    options: { ttl?: number; every?: number } = {},
  ) => {
    const { control, sent } = fakeControl(scheduler, answer);
    const outcome$ = runWake(held(options.ttl), control, handler, {
      scheduler,
      url: URL_,
      wakeFor,
      ...(options.every === undefined ? {} : { heartbeatIntervalMs: options.every }),
    });
    return { outcome$, sent };
  };

  it('heartbeats every third of the lease while the handler runs, then sends done', () => {
    scheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
      const handler$ = cold<Ack>('45ms |');
      const { outcome$, sent } = run(
        () => handler$,
        (request) => cold('-(r|)', { r: { nextWake: request.kind === 'done' } }),
      );
      expectObservable(outcome$).toBe('46ms (o|)', {
        o: {
          kind: 'completed',
          wake: expect.objectContaining({ wakeId: 'w_1', generation: 3 }),
          acks: [
            { stream: 'a', offset: '0_5' },
            { stream: 'b', offset: '0_7' },
          ],
          nextWake: true,
        },
      });
      expectSubscriptions(handler$.subscriptions).toBe('^ 44ms !');
      scheduler.flush();
      // Every 10 ms after the previous answer (1 ms latency): 10, 21, 32, 43; done when the handler ends at 45.
      expect(sent.map(({ at, kind }) => `${kind}@${at}`)).toEqual([
        'heartbeat@10',
        'heartbeat@21',
        'heartbeat@32',
        'heartbeat@43',
        'done@45',
      ]);
    });
  });

  it('never lets done overtake a heartbeat in flight', () => {
    scheduler.run(({ cold, expectObservable }) => {
      const { outcome$, sent } = run(
        () => cold<Ack>('12ms |'),
        () => cold('5ms (r|)', { r: { nextWake: false } }),
      );
      expectObservable(outcome$).toBe('20ms (o|)', { o: expect.objectContaining({ kind: 'completed' }) });
      scheduler.flush();
      // The heartbeat sent at 10 is answered at 15; done, due at 12, waits for it.
      expect(sent.map(({ at, kind }) => `${kind}@${at}`)).toEqual(['heartbeat@10', 'done@15']);
    });
  });

  it('sends each new ack once, with the next heartbeat, and acks the tail of pending streams left unacked at done', () => {
    scheduler.run(({ cold, expectObservable }) => {
      const acks$ = cold<Ack>('2ms a 2ms b 15ms c 9ms |', {
        a: { stream: 'a', offset: '0_2' },
        b: { stream: 'a', offset: '0_4' },
        c: { stream: 'a', offset: '0_3' },
      });
      const { outcome$, sent } = run(
        () => acks$,
        () => of({ nextWake: false }),
      );
      expectObservable(outcome$).toBe('31ms (o|)', {
        o: expect.objectContaining({
          acks: [
            { stream: 'a', offset: '0_4' },
            { stream: 'b', offset: '0_7' },
          ],
        }),
      });
      scheduler.flush();
      expect(sent).toEqual([
        { at: 10, kind: 'heartbeat', acks: [{ stream: 'a', offset: '0_4' }] },
        { at: 20, kind: 'heartbeat' },
        { at: 30, kind: 'heartbeat' },
        // 0_3 came after 0_4: ignored, a cursor never moves back. b was never acked: its tail.
        { at: 31, kind: 'done', acks: [{ stream: 'b', offset: '0_7' }] },
      ]);
    });
  });

  it('declares the lease lost when no heartbeat is answered within the lease, stops the handler and sends nothing more', () => {
    scheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
      const handler$ = cold<Ack>('100ms |');
      const { outcome$, sent } = run(
        () => handler$,
        () => NEVER,
      );
      expectObservable(outcome$).toBe('30ms (o|)', {
        o: { kind: 'lost', wake: expect.objectContaining({ wakeId: 'w_1' }), error: expect.any(LeaseExpiredError) },
      });
      expectSubscriptions(handler$.subscriptions).toBe('^ 29ms !');
      scheduler.flush();
      expect(sent.map(({ at, kind }) => `${kind}@${at}`)).toEqual(['heartbeat@10']);
    });
  });

  it('runs the lease from the sending of the last answered heartbeat, not from its answer', () => {
    scheduler.run(({ cold, expectObservable }) => {
      // The first heartbeat (sent at 10) is answered at 18; the second (sent at 28) never: the lease ends at 10 + 30.
      const { outcome$ } = run(
        () => cold<Ack>('100ms |'),
        (_request, index) => (index === 0 ? cold('8ms (r|)', { r: { nextWake: false } }) : NEVER),
      );
      expectObservable(outcome$).toBe('40ms (o|)', { o: expect.objectContaining({ kind: 'lost' }) });
    });
  });

  it('keeps the lease for as long as heartbeats are answered: a handler of three lease lengths completes', () => {
    scheduler.run(({ cold, expectObservable }) => {
      const { outcome$, sent } = run(
        () => cold<Ack>('90ms |'),
        () => cold('3ms (r|)', { r: { nextWake: false } }),
        { ttl: 30, every: 10 },
      );
      // Heartbeats at 10, 23, ... 88 (answered at 91); done waits for that answer.
      expectObservable(outcome$).toBe('94ms (o|)', { o: expect.objectContaining({ kind: 'completed' }) });
      scheduler.flush();
      expect(sent.map(({ at, kind }) => `${kind}@${at}`)).toEqual(
        [10, 23, 36, 49, 62, 75, 88].map((at) => `heartbeat@${at}`).concat('done@91'),
      );
    });
  });

  it('treats a heartbeat failing with a network error as missed: the next follows, its acks are sent again, the deadline decides', () => {
    scheduler.run(({ cold, expectObservable }) => {
      const down = new NetworkError({ url: URL_, cause: new Error('ECONNRESET') });
      const { outcome$, sent } = run(
        () => cold<Ack>('2ms a 100ms |', { a: { stream: 'a', offset: '0_4' } }),
        (_request, index) => (index === 0 ? cold('1ms #', {}, down) : cold('1ms (r|)', { r: { nextWake: false } })),
      );
      expectObservable(outcome$).toBe('104ms (o|)', { o: expect.objectContaining({ kind: 'completed' }) });
      scheduler.flush();
      expect(sent.slice(0, 3)).toEqual([
        { at: 10, kind: 'heartbeat', acks: [{ stream: 'a', offset: '0_4' }] },
        // Missed at 11: the next heartbeat an interval later carries the ack again; accepted, it renews the lease to 51.
        { at: 21, kind: 'heartbeat', acks: [{ stream: 'a', offset: '0_4' }] },
        { at: 32, kind: 'heartbeat' },
      ]);
    });
  });

  it('declares the lease lost when every heartbeat fails with a network error', () => {
    scheduler.run(({ cold, expectObservable }) => {
      const down = new NetworkError({ url: URL_, cause: new Error('ECONNRESET') });
      const { outcome$ } = run(
        () => cold<Ack>('100ms |'),
        () => cold('1ms #', {}, down),
      );
      expectObservable(outcome$).toBe('30ms (o|)', {
        o: expect.objectContaining({ kind: 'lost', error: expect.any(LeaseExpiredError) }),
      });
    });
  });

  it('reports a fenced heartbeat as lost at once, stopping the handler', () => {
    scheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
      const handler$ = cold<Ack>('100ms |');
      const fenced = new WakeFencedError({ url: URL_, subscriptionId: 'sub-1', wakeId: 'w_1', generation: 3 });
      const { outcome$, sent } = run(
        () => handler$,
        (_r, index) => (index === 1 ? cold('2ms #', {}, fenced) : of({ nextWake: false })),
      );
      expectObservable(outcome$).toBe('22ms (o|)', { o: { kind: 'lost', wake: expect.anything(), error: fenced } });
      expectSubscriptions(handler$.subscriptions).toBe('^ 21ms !');
      scheduler.flush();
      expect(sent.map(({ kind }) => kind)).toEqual(['heartbeat', 'heartbeat']);
    });
  });

  it('aborts the wake signal of a promise handler when the lease is lost', () => {
    let signal!: AbortSignal;
    scheduler.run(({ expectObservable }) => {
      const { control } = fakeControl(scheduler, () => NEVER);
      const outcome$ = runWake(held(), control, () => new Promise<Ack>(() => undefined), {
        scheduler,
        url: URL_,
        wakeFor: (s) => {
          signal = s;
          return { signal: s } as Wake;
        },
      });
      expectObservable(outcome$).toBe('30ms (o|)', { o: expect.objectContaining({ kind: 'lost' }) });
    });
    expect(signal.aborted).toBe(true);
  });

  it('on a handler error, sends the acks not yet sent, releases the wake, then reports failed', () => {
    scheduler.run(({ cold, expectObservable }) => {
      const boom = new Error('handler failed');
      const { outcome$, sent } = run(
        () => cold<Ack>('5ms a 9ms #', { a: { stream: 'a', offset: '0_3' } }, boom),
        () => cold('1ms (r|)', { r: { nextWake: false } }),
      );
      expectObservable(outcome$).toBe('16ms (o|)', { o: { kind: 'failed', wake: expect.anything(), error: boom } });
      scheduler.flush();
      expect(sent).toEqual([
        { at: 10, kind: 'heartbeat', acks: [{ stream: 'a', offset: '0_3' }] },
        { at: 15, kind: 'release' },
      ]);
    });
  });

  it('fails a handler that acks a stream of another wake, releasing the wake', () => {
    scheduler.run(({ cold, expectObservable }) => {
      const { outcome$, sent } = run(
        () => cold<Ack>('3ms a', { a: { stream: 'zzz', offset: '1' } }),
        () => of({ nextWake: false }),
      );
      expectObservable(outcome$).toBe('3ms (o|)', {
        o: { kind: 'failed', wake: expect.anything(), error: expect.any(InvalidArgumentError) },
      });
      scheduler.flush();
      expect(sent.map(({ kind }) => kind)).toEqual(['release']);
    });
  });

  it('reports a refused done as failed (not lost) and releases', () => {
    scheduler.run(({ cold, expectObservable }) => {
      const refused = new InvalidAckError({ url: URL_, subscriptionId: 'sub-1' });
      const { outcome$, sent } = run(
        () => cold<Ack>('2ms |'),
        (request) => (request.kind === 'done' ? throwError(() => refused) : of({ nextWake: false })),
      );
      expectObservable(outcome$).toBe('2ms (o|)', { o: { kind: 'failed', wake: expect.anything(), error: refused } });
      scheduler.flush();
      expect(sent.map(({ kind }) => kind)).toEqual(['done', 'release']);
    });
  });

  it('releases the wake when unsubscribed, and stops the handler', () => {
    scheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
      const handler$ = cold<Ack>('100ms |');
      const { outcome$, sent } = run(
        () => handler$,
        () => cold('1ms (r|)', { r: { nextWake: false } }),
      );
      expectObservable(outcome$, '^ 24ms !').toBe('');
      expectSubscriptions(handler$.subscriptions).toBe('^ 24ms !');
      scheduler.flush();
      expect(sent.map(({ at, kind }) => `${kind}@${at}`)).toEqual(['heartbeat@10', 'heartbeat@21', 'release@25']);
    });
  });

  it('completes a handler that finishes at once with a single done', () => {
    scheduler.run(({ expectObservable }) => {
      const handler = (): ObservableInput<Ack> => [];
      const { outcome$, sent } = run(handler, () => of({ nextWake: false }));
      expectObservable(outcome$).toBe('(o|)', { o: expect.objectContaining({ kind: 'completed' }) as WakeOutcome });
      scheduler.flush();
      expect(sent.map(({ kind }) => kind)).toEqual(['done']);
    });
  });

  it('refuses a heartbeat interval no shorter than the lease: releases the wake, runs nothing, errors', () => {
    scheduler.run(({ cold, expectObservable }) => {
      const handler = jest.fn(() => cold<Ack>('1ms |'));
      const { outcome$, sent } = run(handler, () => cold('(r|)', { r: undefined }), { ttl: 30, every: 30 });
      expectObservable(outcome$).toBe(
        '#',
        undefined,
        expect.objectContaining({
          constructor: InvalidArgumentError,
          message: expect.stringMatching(/heartbeatIntervalMs \(30\) must be shorter than the lease .* \(30 ms\)/),
        }),
      );
      scheduler.flush();
      expect(handler).not.toHaveBeenCalled();
      expect(sent.map(({ kind }) => kind)).toEqual(['release']);
    });
  });

  it('does not start the handler on a wake whose lease ran out before it was handed over: lost, nothing sent', () => {
    scheduler.run(({ cold, expectObservable }) => {
      const handler = jest.fn(() => cold<Ack>('1ms |'));
      const { control, sent } = fakeControl(scheduler, () => of({ nextWake: false }));
      // The claim was sent at 0 with a 30 ms lease; its answer arrives at 30.
      const outcome$ = cold('30ms (x|)').pipe(
        mergeMap(() => runWake(held(30), control, handler, { scheduler, url: URL_, wakeFor })),
      );
      expectObservable(outcome$).toBe('30ms (o|)', {
        o: {
          kind: 'lost',
          wake: expect.objectContaining({ wakeId: 'w_1' }),
          error: expect.any(LeaseExpiredError),
        },
      });
      scheduler.flush();
      expect(handler).not.toHaveBeenCalled();
      expect(sent).toEqual([]);
    });
  });
});
