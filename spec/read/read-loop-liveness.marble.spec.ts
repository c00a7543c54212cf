import { NEVER, type Observable, type Subscription } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { NetworkError, TimeoutError } from '../../lib/errors/client-errors';
import type { ConnectionState } from '../../lib/read/connection-state';
import { readLoop } from '../../lib/read/read-loop';
import type { ReadOptions } from '../../lib/read/read-options';
import type { ReadRequest, ReadStep } from '../../lib/read/read-step';
import { FakeReadSource, loopConfig, step, URL } from './support/fake-read';

const down = () => new NetworkError({ url: URL, notSent: true });

/**
 * A live request that stays silent past what the server's keep-alives
 * promise is presumed dead (a proxy may hold the client's connection to a
 * server that died), in virtual time. The server here proves it is alive
 * every 10 s; the request timeouts (the ceiling) are 61 s.
 */
describe('readLoop: a live request silent past 1.5 times the learned keep-alive interval (virtual time)', () => {
  let scheduler: TestScheduler;
  beforeEach(() => {
    scheduler = new TestScheduler((actual, expected) => expect(actual).toEqual(expected));
  });

  function read(
    options: ReadOptions,
    respond: (request: ReadRequest, index: number) => Observable<ReadStep<string>>,
    until: number,
  ) {
    const seen = {
      steps: [] as Array<ReadStep<string>>,
      states: [] as Array<ConnectionState & { at: number }>,
      error: undefined as unknown,
      fake: undefined! as FakeReadSource,
    };
    scheduler.run(() => {
      seen.fake = new FakeReadSource(scheduler, respond);
      let subscription!: Subscription;
      scheduler.schedule(() => {
        const connectionState = { next: (s: ConnectionState) => seen.states.push({ ...s, at: scheduler.now() }) };
        subscription = readLoop(seen.fake.open, loopConfig({ ...options, connectionState }, scheduler)).subscribe({
          next: (s) => seen.steps.push(s),
          error: (e: unknown) => (seen.error = e),
        });
      }, 0);
      scheduler.schedule(() => subscription.unsubscribe(), until);
    });
    return seen;
  }
  const cold = (marbles: string, values?: Record<string, ReadStep<string>>, error?: unknown) =>
    scheduler.createColdObservable<ReadStep<string>>(marbles, values, error);
  const requests = (fake: FakeReadSource) => fake.requests.map((r) => `${r.kind}@${r.offset}@${r.at}`);
  const reconnects = (states: ConnectionState[]) =>
    states.flatMap((s) => (s.status === 'reconnecting' ? [{ error: s.error, attempt: s.attempt }] : []));

  const a = step('1', 'x', { upToDate: true });
  const idle = step('1', '', { upToDate: true });
  const c = step('2', 'y', { upToDate: true });

  it('long-poll: learns 10 s from an idle answer; a long-poll silent 15 s is left, the read reconnects and loses nothing', () => {
    const seen = read(
      { live: 'long-poll' },
      (_req, i) =>
        [
          cold('-a|', { a }),
          cold('10000ms k|', { k: idle }), // the server's wait ran out: proof of life after 10 s
          NEVER, // the server died behind a proxy that keeps the connection open
          cold('-#', {}, down()), // the proxy answers for a dead server
          cold('-c|', { c }),
        ][i] ?? NEVER,
      35_000,
    );
    expect(seen.error).toBeUndefined();
    expect(seen.steps).toEqual([a, c]);
    expect(requests(seen.fake)).toEqual([
      'catch-up@-1@0',
      'long-poll@1@2',
      'long-poll@1@10003',
      'catch-up@1@25103', // left at 25 003 (15 s of silence), retried after 100 ms
      'catch-up@1@25304',
      'long-poll@2@25306',
    ]);
    const [cut, refused] = reconnects(seen.states);
    expect(cut.error).toBeInstanceOf(TimeoutError);
    expect(cut.error).toMatchObject({ timeoutMs: 15_000, phase: 'response', url: URL });
    expect(cut.error.message).toMatch(/15000 ms.*1.5x the server's keep-alive interval: presumed dead/);
    expect(refused.error).toBeInstanceOf(NetworkError);
    // The state left 'live' when the bound ran out, and came back once the read had caught up again.
    expect(seen.states.find((s) => s.status === 'reconnecting')?.at).toBe(25_003);
    expect(seen.states.at(-1)).toMatchObject({ status: 'live', mode: 'long-poll' });
  });

  it('SSE: learns 10 s from the gap before a keep-alive; a connection then silent 15 s is left', () => {
    const seen = read(
      { live: 'sse' },
      (req, i) =>
        [
          cold('-a|', { a }),
          cold('-u 9999ms k', { u: idle, k: idle }), // an event on connecting, a keep-alive 10 s later, then silence
          cold('-c|', { c }),
        ][i] ?? (req.kind === 'sse' ? NEVER : cold('-')),
      100_000,
    );
    expect(seen.error).toBeUndefined();
    expect(seen.steps).toEqual([a, c]);
    // The keep-alive came at 2 + 10 001; 15 s of silence after it, the connection was left; 100 ms later, a catch-up.
    expect(requests(seen.fake).slice(0, 4)).toEqual(['catch-up@-1@0', 'sse@1@2', 'catch-up@1@25103', 'sse@2@25105']);
    expect(reconnects(seen.states)[0].error).toMatchObject({ timeoutMs: 15_000, phase: 'body' });
  });

  it('leaves a live request to its own timeout while nothing is learned, or when the options fix it', () => {
    const unlearned = read({ live: 'long-poll' }, (_req, i) => (i === 0 ? cold('-a|', { a }) : NEVER), 1_000_000);
    expect(unlearned.fake.requests).toHaveLength(2);
    expect(reconnects(unlearned.states)).toEqual([]);
    const fixed = read(
      { live: 'long-poll', longPollTimeoutMs: 61_000 },
      (_req, i) => [cold('-a|', { a }), cold('10000ms k|', { k: idle })][i] ?? NEVER,
      1_000_000,
    );
    expect(fixed.fake.requests).toHaveLength(3);
    expect(reconnects(fixed.states)).toEqual([]);
  });

  it('a server whose interval grew: a cut answered at once lengthens the bound until its proofs fit', () => {
    const seen = read(
      { live: 'long-poll' },
      (req, i) => {
        if (req.kind === 'catch-up') return cold('-k|', { k: i === 0 ? a : idle });
        // 10 s at first, then the server was reconfigured to 20 s; then it dies.
        return [cold('10000ms k|', { k: idle }), cold('20000ms k|', { k: idle })][Math.min(i - 1, 1)] ?? NEVER;
      },
      100_000,
    );
    const cuts = reconnects(seen.states).map(({ error }) => (error instanceof TimeoutError ? error.timeoutMs : error));
    // Cut at 15 s (1.5 x 10 s); the catch-up after it was answered: the interval is at least 15 s, the bound 22.5 s,
    // which a 20 s proof fits; from then on 30 s (1.5 x 20 s), and no cut as long as the server answers.
    expect(cuts).toEqual([15_000]);
    const waits = seen.fake.requests
      .filter((r) => r.kind === 'long-poll')
      .slice(1)
      .map((r, n, all) => (all[n + 1]?.at ?? 100_000) - r.at);
    // Each wait: the long-poll's, then the catch-up's 2 ms (and, after the cut, 100 ms of backoff).
    expect(waits.slice(0, 4)).toEqual([15_000 + 100 + 2, 20_001, 20_001, 20_001]);
  });
});
