import {
  concatMap,
  firstValueFrom,
  ignoreElements,
  from,
  map,
  merge,
  take,
  tap,
  timer,
  toArray,
  type Observable,
  type Subscription as RxSubscription,
} from 'rxjs';
import {
  LeaseExpiredError,
  subscription,
  type Ack,
  type SubscriptionHandle,
  type Wake,
  type WakeOutcome,
} from '../../lib/subscriptions';
import { unique, useSubscriptionServer } from './support/server';
import { appendJson, headStream, InvalidArgumentError } from '../../lib/index';
import { sleep } from '../support/until';

const fixture = useSubscriptionServer();

/** A pull-wake subscription over `streams` fresh streams under one prefix. */
async function pullWake(streams: number, leaseTtlMs: number): Promise<{ handle: SubscriptionHandle; paths: string[] }> {
  const prefix = unique('ev');
  const paths = Array.from({ length: streams }, (_, i) => `${prefix}/s${i}`);
  await fixture.server.createJson(...paths);
  const handle = subscription(fixture.admin, unique('sub'));
  await firstValueFrom(
    handle.ensure({ type: 'pull-wake', pattern: `${prefix}/*`, wakeStream: unique('wake'), leaseTtlMs }),
  );
  return { handle, paths };
}

const append = (path: string, value: unknown) =>
  firstValueFrom(appendJson(fixture.admin.stream(path, { contentType: 'application/json' }), value));

/** Reads every pending stream of the wake, passing each message to `seen`, acking each batch. */
const readAll =
  (seen: (path: string, item: unknown) => void) =>
  (wake: Wake): Observable<Ack> =>
    from(wake.pending).pipe(
      concatMap((stream) =>
        wake.readJson(stream.path).pipe(
          tap((batch) => batch.items.forEach((item) => seen(stream.path, item))),
          map((batch) => ({ stream: stream.path, offset: batch.offset })),
        ),
      ),
    );

/** Resolves when `check` passes, polling; fails after `ms`. */
async function eventually(check: () => Promise<boolean> | boolean, ms = 10_000): Promise<void> {
  const until = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > until) throw new Error('condition not met in time');
    await sleep(25);
  }
}

async function ackedAtTails(handle: SubscriptionHandle): Promise<boolean> {
  const { streams } = await firstValueFrom(handle.get());
  const tails = await Promise.all(
    streams.map((stream) => firstValueFrom(headStream(fixture.admin.stream(stream.path)))),
  );
  return streams.every((stream, i) => stream.ackedOffset === tails[i].nextOffset);
}

describe('pull-wake workers on the reference server', () => {
  const running: RxSubscription[] = [];
  afterEach(() => running.splice(0).forEach((subscription) => subscription.unsubscribe()));

  it('three workers process every event of four streams, one wake at a time, and leave the cursors at the tails', async () => {
    const { handle, paths } = await pullWake(4, 5000);
    const seen = new Map<string, number>();
    let active = 0;
    let mostActive = 0;
    const outcomes: WakeOutcome[] = [];
    for (const worker of ['w1', 'w2', 'w3']) {
      const { client } = fixture.server.client();
      const handler = (wake: Wake) => {
        active++;
        mostActive = Math.max(mostActive, active);
        return merge(
          readAll((path, item) =>
            seen.set(
              `${path}#${(item as { i: number }).i}`,
              (seen.get(`${path}#${(item as { i: number }).i}`) ?? 0) + 1,
            ),
          )(wake),
          timer(5).pipe(ignoreElements()),
        ).pipe(tap({ finalize: () => active-- }));
      };
      running.push(
        subscription(client, handle.id)
          .process({ worker, claimIntervalMs: 1000 }, handler)
          .subscribe((outcome) => outcomes.push(outcome)),
      );
    }
    for (let i = 0; i < 40; i++) await append(paths[i % 4], { i });

    await eventually(async () => seen.size === 40 && (await ackedAtTails(handle)));
    expect(mostActive).toBe(1);
    expect(outcomes.every((outcome) => outcome.kind === 'completed')).toBe(true);
    expect(new Set(outcomes.map((outcome) => outcome.wake.generation)).size).toBe(outcomes.length);
  });

  it('keeps the lease of a handler that runs three lease lengths', async () => {
    const { handle, paths } = await pullWake(1, 1000);
    await append(paths[0], { i: 0 });
    const { client, transport } = fixture.server.client();
    const outcome = await firstValueFrom(
      subscription(client, handle.id).process({ worker: 'slow', claimIntervalMs: 60_000 }, (wake) =>
        timer(3100).pipe(concatMap(() => readAll(() => undefined)(wake))),
      ),
    );
    expect(outcome).toMatchObject({ kind: 'completed', acks: [{ stream: paths[0] }] });
    // Every third of the lease: about nine heartbeats in 3.1 s.
    expect(
      transport.count((request) => request.path.endsWith('/ack') && !request.body.includes('"done"')),
    ).toBeGreaterThanOrEqual(6);
    expect(await ackedAtTails(handle)).toBe(true);
  });

  it('a lease lost through dropped heartbeats yields lost, and another worker does the work again', async () => {
    const { handle, paths } = await pullWake(1, 1000);
    await append(paths[0], { i: 0 });
    const a = fixture.server.client();
    a.transport.drop = (request) => request.url.endsWith('/ack');
    const lost = firstValueFrom(
      subscription(a.client, handle.id).process({ worker: 'a', claimIntervalMs: 60_000 }, (wake) =>
        timer(10_000).pipe(concatMap(() => readAll(() => undefined)(wake))),
      ),
    );
    await expect(lost).resolves.toMatchObject({ kind: 'lost', error: expect.any(LeaseExpiredError) });

    const b = fixture.server.client();
    const done: string[] = [];
    const outcome = await firstValueFrom(
      subscription(b.client, handle.id).process(
        { worker: 'b', claimIntervalMs: 200 },
        readAll((path) => done.push(path)),
      ),
    );
    expect(outcome.kind).toBe('completed');
    expect(done).toEqual([paths[0]]);
    expect(await ackedAtTails(handle)).toBe(true);
  });

  it('unsubscribing releases the held wake and stops every request', async () => {
    const { handle, paths } = await pullWake(1, 2000);
    await append(paths[0], { i: 0 });
    const { client, transport } = fixture.server.client();
    let started!: () => void;
    const handlerStarted = new Promise<void>((resolve) => (started = resolve));
    const worker = subscription(client, handle.id)
      .process({ worker: 'quitter', claimIntervalMs: 100 }, () => {
        started();
        return timer(60_000).pipe(map(() => ({ stream: paths[0], offset: '0' })));
      })
      .subscribe();
    await handlerStarted;
    worker.unsubscribe();
    await eventually(
      () => transport.count((request) => request.path.endsWith('/release')) === 1 && transport.inFlight === 0,
    );
    const after = transport.sent.length;
    await sleep(700);
    expect(transport.sent.length).toBe(after);
    // Released, not left to expire: another worker claims at once.
    const other = fixture.server.client();
    await expect(firstValueFrom(subscription(other.client, handle.id).claim('next'))).resolves.toMatchObject({
      wakeId: expect.any(String),
    });
  });

  it('outcomes are values: a failing handler releases the wake and the worker goes on', async () => {
    const { handle, paths } = await pullWake(1, 5000);
    await append(paths[0], { i: 0 });
    const { client } = fixture.server.client({ retry: { initialDelayMs: 20, maxDelayMs: 20, jitter: false } });
    let calls = 0;
    const outcomes = await firstValueFrom(
      subscription(client, handle.id)
        .process({ worker: 'flaky', claimIntervalMs: 60_000 }, (wake) => {
          if (++calls === 1) throw new Error('first attempt fails');
          return readAll(() => undefined)(wake);
        })
        .pipe(take(2), toArray()),
    );
    expect(outcomes.map((outcome) => outcome.kind)).toEqual(['failed', 'completed']);
    expect(await ackedAtTails(handle)).toBe(true);
  });

  it('a wake given to two workers at once runs once: the claim is the request the server fences', async () => {
    const { handle, paths } = await pullWake(1, 5000);
    await append(paths[0], { i: 0 });
    const ranBy: string[] = [];
    const worker = (name: string) =>
      subscription(fixture.server.client().client, handle.id).process(
        { worker: name, claimIntervalMs: 60_000 },
        (wake) => (ranBy.push(`${name}:${wake.wakeId}`), readAll(() => undefined)(wake)),
      );
    // Both claim on start, at the same moment.
    const first = await firstValueFrom(merge(worker('w1'), worker('w2')));
    expect(first).toMatchObject({ kind: 'completed' });
    expect(ranBy).toHaveLength(1);
    // The wake event again (a replay, or one read twice): every claim finds nothing pending, nothing runs.
    const { wakeStream } = await firstValueFrom(handle.get());
    const again = merge(worker('w3'), worker('w4')).subscribe();
    running.push(again);
    await append(wakeStream!, {
      type: 'wake',
      subscription_id: handle.id,
      stream: paths[0],
      generation: 1,
      ts: Date.now(),
    });
    await sleep(500);
    expect(ranBy).toHaveLength(1);
    expect(await ackedAtTails(handle)).toBe(true);
  });

  it('a heartbeat interval no shorter than the lease stops the worker before its handler runs, and releases the wake', async () => {
    const { handle, paths } = await pullWake(1, 1000);
    await append(paths[0], { i: 0 });
    const handler = jest.fn(readAll(() => undefined));
    const error = await firstValueFrom(
      subscription(fixture.server.client().client, handle.id).process(
        { worker: 'slow-heart', heartbeatIntervalMs: 1000 },
        handler,
      ),
    ).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InvalidArgumentError);
    expect((error as Error).message).toMatch(
      /heartbeatIntervalMs \(1000\) must be shorter than the lease .* \(1000 ms\)/,
    );
    expect(handler).not.toHaveBeenCalled();
    // Released, not held until its lease ran out: claimed again at once.
    await expect(firstValueFrom(handle.claim('next'))).resolves.toMatchObject({
      wakeId: expect.any(String),
    });
  });
});
