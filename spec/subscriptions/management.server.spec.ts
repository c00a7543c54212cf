import { firstValueFrom, lastValueFrom } from 'rxjs';
import { InvalidArgumentError, appendJson, headStream } from '../../lib/index';
import {
  AlreadyClaimedError,
  InvalidAckError,
  NoPendingWorkError,
  subscription,
  SubscriptionConflictError,
  SubscriptionNotFoundError,
  SubscriptionRequestTooLargeError,
  WakeFencedError,
  WakeTokenError,
  WebhookUrlRejectedError,
  type WakeClaim,
} from '../../lib/subscriptions';
import { unique, useSubscriptionServer } from './support/server';

const fixture = useSubscriptionServer();

const append = (path: string, value: unknown) =>
  firstValueFrom(appendJson(fixture.admin.stream(path, { contentType: 'application/json' }), value));

describe('subscription management on the reference server', () => {
  it('ensure creates (201), re-confirms the same configuration (200) and refuses another one (409)', async () => {
    const id = unique('sub');
    const events = unique('ev');
    await fixture.server.createJson(`${events}/a`);
    const handle = subscription(fixture.admin, id);
    const config = {
      type: 'pull-wake' as const,
      pattern: `${events}/*`,
      wakeStream: unique('wake'),
      leaseTtlMs: 5000,
      description: 'spec',
    };

    const created = await firstValueFrom(handle.ensure(config));
    expect(created.created).toBe(true);
    expect(created.subscription).toMatchObject({
      id,
      type: 'pull-wake',
      pattern: `${events}/*`,
      wakeStream: config.wakeStream,
      leaseTtlMs: 5000,
      description: 'spec',
      status: 'active',
      streams: [{ path: `${events}/a`, linkType: 'glob', ackedOffset: expect.any(String) }],
    });

    const again = await firstValueFrom(handle.ensure(config));
    expect(again).toEqual({ created: false, subscription: created.subscription });

    const conflict = await firstValueFrom(handle.ensure({ ...config, leaseTtlMs: 6000 })).catch(
      (error: unknown) => error,
    );
    expect(conflict).toBeInstanceOf(SubscriptionConflictError);
    expect(conflict).toMatchObject({ status: 409, subscriptionId: id, url: handle.url });
  });

  it('ensure creates the wake stream of a pull-wake subscription', async () => {
    const wake = unique('wake');
    await firstValueFrom(
      subscription(fixture.admin, unique('sub')).ensure({ type: 'pull-wake', streams: ['x'], wakeStream: wake }),
    );
    await expect(firstValueFrom(headStream(fixture.admin.stream(wake)))).resolves.toMatchObject({
      contentType: 'application/json',
    });
  });

  it('get, addStreams, removeStream and delete', async () => {
    const id = unique('sub');
    const handle = subscription(fixture.admin, id);
    await firstValueFrom(handle.ensure({ type: 'pull-wake', streams: ['m/a'], wakeStream: unique('wake') }));
    await lastValueFrom(handle.addStreams(['m/b', 'm/c/d']), { defaultValue: undefined });
    await lastValueFrom(handle.removeStream('m/a'), { defaultValue: undefined });
    const got = await firstValueFrom(handle.get());
    expect(got.streams.map((stream) => [stream.path, stream.linkType])).toEqual([
      ['m/b', 'explicit'],
      ['m/c/d', 'explicit'],
    ]);
    await lastValueFrom(handle.removeStream('m/c/d'), { defaultValue: undefined });
    expect((await firstValueFrom(handle.get())).streams.map((stream) => stream.path)).toEqual(['m/b']);

    await lastValueFrom(handle.delete(), { defaultValue: undefined });
    await expect(firstValueFrom(handle.get())).rejects.toBeInstanceOf(SubscriptionNotFoundError);
    await expect(lastValueFrom(handle.addStreams(['m/x']), { defaultValue: undefined })).rejects.toBeInstanceOf(
      SubscriptionNotFoundError,
    );
  });

  it('refuses a private webhook URL with WebhookUrlRejectedError naming it', async () => {
    const error = await firstValueFrom(
      subscription(fixture.admin, unique('hook')).ensure({
        type: 'webhook',
        pattern: 'h/*',
        webhook: { url: 'https://10.0.0.1/hook' },
      }),
    ).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(WebhookUrlRejectedError);
    expect((error as Error).message).toContain("'https://10.0.0.1/hook'");
  });

  it('checks arguments before any request', () => {
    expect(() => subscription(fixture.admin, '')).toThrow(InvalidArgumentError);
    expect(() => subscription({} as never, 'x')).toThrow(/needs a DurableStreamsClient/);
    const { client: noBase } = fixture.server.client({ baseUrl: undefined });
    expect(() => subscription(noBase, 'x')).toThrow(/needs a baseUrl/);
  });
});

describe('claim, ack and release on the reference server', () => {
  const setup = async (leaseTtlMs = 5000) => {
    const id = unique('sub');
    const events = unique('ev');
    await fixture.server.createJson(`${events}/a`, `${events}/b`);
    const handle = subscription(fixture.admin, id);
    await firstValueFrom(
      handle.ensure({ type: 'pull-wake', pattern: `${events}/*`, wakeStream: unique('wake'), leaseTtlMs }),
    );
    return { handle, events };
  };

  it('NO_PENDING_WORK until something is appended; then one claim wins, the others see ALREADY_CLAIMED', async () => {
    const { handle, events } = await setup();
    await expect(firstValueFrom(handle.claim('w0'))).rejects.toBeInstanceOf(NoPendingWorkError);
    await append(`${events}/a`, { n: 1 });

    const results = await Promise.all(
      Array.from({ length: 10 }, (_, i) => firstValueFrom(handle.claim(`w${i}`)).catch((error: unknown) => error)),
    );
    const wins = results.filter((result): result is WakeClaim => !(result instanceof Error));
    expect(wins).toHaveLength(1);
    const losers = results.filter((result) => result instanceof AlreadyClaimedError);
    expect(losers).toHaveLength(9);
    const winner = `w${results.indexOf(wins[0])}`;
    expect(losers.every((error) => error.currentHolder === winner && error.generation === wins[0].generation)).toBe(
      true,
    );
    expect(wins[0].streams.find((stream) => stream.path === `${events}/a`)).toMatchObject({ hasPending: true });
  });

  it('heartbeats, acks with done, and reports next_wake; the wake is fenced afterwards', async () => {
    const { handle, events } = await setup();
    await append(`${events}/a`, { n: 1 });
    await append(`${events}/b`, { n: 2 });
    const wake = await firstValueFrom(handle.claim('w1'));
    const tail = (path: string) => wake.streams.find((stream) => stream.path === path)!.tailOffset;

    await expect(firstValueFrom(handle.ack(wake))).resolves.toEqual({ nextWake: false });
    await expect(
      firstValueFrom(handle.ack(wake, { acks: [{ stream: `${events}/a`, offset: tail(`${events}/a`) }], done: true })),
    ).resolves.toEqual({ nextWake: true });
    await expect(firstValueFrom(handle.ack(wake))).rejects.toBeInstanceOf(WakeFencedError);

    const got = await firstValueFrom(handle.get());
    expect(got.streams.find((stream) => stream.path === `${events}/a`)!.ackedOffset).toBe(tail(`${events}/a`));
  });

  it('types the refusals of a held wake: bad offset, bad token, stale generation', async () => {
    const { handle, events } = await setup();
    await append(`${events}/a`, { n: 1 });
    const wake = await firstValueFrom(handle.claim('w1'));
    await expect(
      firstValueFrom(
        handle.ack(wake, { acks: [{ stream: `${events}/a`, offset: '9999999999999999_9999999999999999' }] }),
      ),
    ).rejects.toBeInstanceOf(InvalidAckError);
    await expect(firstValueFrom(handle.ack({ ...wake, token: 'forged.token' }))).rejects.toMatchObject({
      constructor: WakeTokenError,
      expired: false,
      wakeId: wake.wakeId,
    });
    await expect(firstValueFrom(handle.ack({ ...wake, generation: wake.generation - 1 }))).rejects.toBeInstanceOf(
      WakeFencedError,
    );
  });

  it('release gives the wake back: another worker can claim it at once', async () => {
    const { handle, events } = await setup();
    await append(`${events}/a`, { n: 1 });
    const first = await firstValueFrom(handle.claim('w1'));
    await lastValueFrom(handle.release(first), { defaultValue: undefined });
    const second = await firstValueFrom(handle.claim('w2'));
    expect(second.generation).toBeGreaterThan(first.generation);
    await expect(lastValueFrom(handle.release(first), { defaultValue: undefined })).rejects.toBeInstanceOf(
      WakeFencedError,
    );
  });

  it('a deleted subscription fails its wake with SubscriptionNotFoundError', async () => {
    const { handle, events } = await setup();
    await append(`${events}/a`, { n: 1 });
    const wake = await firstValueFrom(handle.claim('w1'));
    await lastValueFrom(handle.delete(), { defaultValue: undefined });
    await expect(firstValueFrom(handle.ack(wake))).rejects.toBeInstanceOf(SubscriptionNotFoundError);
  });
});

describe('requests the server refuses as too large', () => {
  it('a 431 (the URL and headers over Node’s 16 KiB) is a SubscriptionRequestTooLargeError naming the subscription', async () => {
    // The longest id the SDK sends, with a large header: over the server's limit before any route runs.
    const id = `big-${'x'.repeat(1000)}`;
    const { client } = fixture.server.client({ headers: { 'x-padding': 'p'.repeat(16_000) } });
    const error = await firstValueFrom(subscription(client, id).get()).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SubscriptionRequestTooLargeError);
    expect(error).toMatchObject({ status: 431, code: 'REQUEST_TOO_LARGE', subscriptionId: id });
    expect((error as Error).message).toMatch(/too large \(431\).*shorter subscription id/);
  });
});
