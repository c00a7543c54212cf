import { createServer, type IncomingMessage, type Server } from 'node:http';
import {
  concatMap,
  filter,
  firstValueFrom,
  from,
  lastValueFrom,
  map,
  merge,
  mergeMap,
  take,
  tap,
  timer,
  toArray,
} from 'rxjs';
import {
  subscription,
  webhookReceiver,
  type Ack,
  type Wake,
  type WebhookReceiver,
  type WakeOutcome,
} from '../../lib/subscriptions';
import { unique, useSubscriptionServer } from './support/server';
import { appendJson, headStream, readJson } from '../../lib/index';
import { until } from '../support/until';

const fixture = useSubscriptionServer();

/** A request's whole body, as text. */
async function bodyOf(request: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString();
}

/** A receiver behind a node:http server on a loopback port, recording what it answered. */
async function listen(
  receiver: WebhookReceiver,
): Promise<{ url: string; answers: number[]; close: () => Promise<void> }> {
  const answers: number[] = [];
  const http: Server = createServer((request, response) => {
    response.on('finish', () => answers.push(response.statusCode));
    receiver.listener(request, response);
  });
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  const { port } = http.address() as { port: number };
  return {
    url: `http://127.0.0.1:${port}/hooks/ds`,
    answers,
    close: async () => {
      receiver.close();
      await new Promise<void>((resolve) => http.close(() => resolve()));
    },
  };
}

const readAll = (seen: unknown[]) => (wake: Wake) =>
  from(wake.pending).pipe(
    concatMap((stream) =>
      wake.readJson(stream.path).pipe(
        tap((batch) => seen.push(...batch.items)),
        map((batch): Ack => ({ stream: stream.path, offset: batch.offset })),
      ),
    ),
  );

async function webhookSubscription(url: string, leaseTtlMs = 5000) {
  const prefix = unique('hook');
  await fixture.server.createJson(`${prefix}/a`);
  const handle = subscription(fixture.admin, unique('sub'));
  await firstValueFrom(handle.ensure({ type: 'webhook', pattern: `${prefix}/*`, webhook: { url }, leaseTtlMs }));
  const append = (value: unknown) =>
    firstValueFrom(appendJson(fixture.admin.stream(`${prefix}/a`, { contentType: 'application/json' }), value));
  const tail = async () => (await firstValueFrom(headStream(fixture.admin.stream(`${prefix}/a`)))).nextOffset;
  return { handle, append, tail, path: `${prefix}/a` };
}

describe('webhook deliveries from the reference server', () => {
  it('verifies a delivery, answers it, runs the handler through the callback and completes the wake', async () => {
    const seen: unknown[] = [];
    const receiver = webhookReceiver(fixture.server.client().client, { handler: readAll(seen) });
    const outcomes = firstValueFrom(receiver.outcomes.pipe(take(1)));
    const hook = await listen(receiver);
    try {
      const { handle, append, tail, path } = await webhookSubscription(hook.url);
      await append({ n: 1 });
      const outcome = await outcomes;
      expect(outcome).toMatchObject({
        kind: 'completed',
        acks: [{ stream: path, offset: await tail() }],
        wake: { subscriptionId: handle.id },
      });
      expect(outcome.wake).not.toHaveProperty('callbackToken');
      expect(seen).toEqual([{ n: 1 }]);
      expect(hook.answers).toEqual([202]);
      expect((await firstValueFrom(handle.get())).streams[0].ackedOffset).toBe(await tail());
    } finally {
      await hook.close();
    }
  });

  it('keeps the lease through callbacks while a handler runs past it', async () => {
    const [leaseMs, handlerMs] = [1000, 2600];
    const { client, transport } = fixture.server.client();
    const receiver = webhookReceiver(client, {
      handler: (wake) => timer(handlerMs).pipe(concatMap(() => readAll([])(wake))),
    });
    const outcome = firstValueFrom(receiver.outcomes);
    const hook = await listen(receiver);
    try {
      const { append } = await webhookSubscription(hook.url, leaseMs);
      await append({ n: 1 });
      await expect(outcome).resolves.toMatchObject({ kind: 'completed' });
      // A heartbeat every third of the lease, each after the previous answer: about 7 unloaded, fewer when each
      // answer is slow. Keeping the lease takes one in every lease the handler ran (the first confirms the delivery).
      expect(
        transport.count((request) => request.path.endsWith('/callback') && !request.body.includes('"done"')),
      ).toBeGreaterThanOrEqual(Math.ceil(handlerMs / leaseMs));
      expect(hook.answers).toEqual([202]);
    } finally {
      await hook.close();
    }
  });

  it('rejects a tampered body with 401 and runs nothing', async () => {
    let deliveredBody = '';
    let deliveredHeader = '';
    const handler = jest.fn(() => [] as Ack[]);
    const receiver = webhookReceiver(fixture.server.client().client, { handler });
    // A man in the middle: records the genuine delivery, forwards a tampered copy with the genuine signature.
    const hook = await listen(receiver);
    const mitm = createServer(
      (request, response) =>
        void (async () => {
          deliveredBody = await bodyOf(request);
          deliveredHeader = String(request.headers['webhook-signature']);
          const forged = await fetch(hook.url, {
            method: 'POST',
            headers: { 'content-type': 'application/json', 'webhook-signature': deliveredHeader },
            body: deliveredBody.replace(/"generation":\d+/, '"generation":999'),
          });
          response.writeHead(forged.status, { 'content-type': 'application/json' }).end(await forged.text());
        })(),
    );
    await new Promise<void>((resolve) => mitm.listen(0, '127.0.0.1', resolve));
    try {
      const { append } = await webhookSubscription(`http://127.0.0.1:${(mitm.address() as { port: number }).port}/`);
      await append({ n: 1 });
      await until(() => hook.answers.length > 0, 'the receiver to answer the tampered delivery');
      expect(hook.answers).toEqual([401]);
      expect(deliveredHeader).toMatch(/^t=\d+,kid=[^,]+,ed25519=[\w-]+$/);
      expect(handler).not.toHaveBeenCalled();
      // The genuine body with its header is accepted.
      const genuine = await receiver.handle(deliveredBody, deliveredHeader);
      expect(genuine.status).toBe(202);
    } finally {
      await new Promise<void>((resolve) => mitm.close(() => resolve()));
      await hook.close();
    }
  });

  it('answers 401 without a signature, 405 to other methods, and runs a repeated delivery once, during its wake or after (from memory)', async () => {
    const started: string[] = [];
    const receiver = webhookReceiver(fixture.server.client().client, {
      handler: (wake) => {
        started.push(wake.wakeId);
        return [];
      },
      leaseTtlMs: 5000,
    });
    const hook = await listen(receiver);
    try {
      const unsigned = await fetch(hook.url, { method: 'POST', body: '{}' });
      expect([unsigned.status, await unsigned.json()]).toEqual([
        401,
        { error: { code: 'WEBHOOK_SIGNATURE_INVALID', reason: 'missing' } },
      ]);
      expect((await fetch(hook.url)).status).toBe(405);

      let delivered: (delivery: { body: string; header: string }) => void = () => undefined;
      const first = new Promise<{ body: string; header: string }>((resolve) => (delivered = resolve));
      const spy = createServer((request, response) => {
        void bodyOf(request).then((body) => {
          delivered({ body, header: String(request.headers['webhook-signature']) });
          response.writeHead(500).end();
        });
      });
      await new Promise<void>((resolve) => spy.listen(0, '127.0.0.1', resolve));
      const { append } = await webhookSubscription(`http://127.0.0.1:${(spy.address() as { port: number }).port}/`);
      await append({ n: 1 });
      const captured = await first;
      spy.close();
      const outcomes = firstValueFrom(
        receiver.outcomes.pipe(
          filter((outcome: WakeOutcome) => outcome.kind === 'completed'),
          take(1),
          toArray(),
        ),
      );
      const answers = await Promise.all([
        receiver.handle(captured.body, captured.header),
        receiver.handle(captured.body, captured.header),
      ]);
      // The two run concurrently: either may win the wake, so compare them in status order.
      const byStatus = answers.map((answer) => [answer.status, JSON.parse(answer.body) as unknown] as const);
      expect([...byStatus].sort(([a], [b]) => a - b)).toEqual([
        [200, { done: false, refused: 'duplicate' }],
        [202, { done: false }],
      ]);
      await outcomes;
      // Once more after the wake completed: answered from memory, not run again.
      await expect(receiver.handle(captured.body, captured.header)).resolves.toMatchObject({
        status: 200,
        body: '{"done":false,"refused":"duplicate"}',
      });
      expect(started).toHaveLength(1);
    } finally {
      await hook.close();
    }
  });
});

/**
 * The webhook URL of a subscription, answering 500 to every delivery (so the
 * server keeps its wake current and retries) and keeping each, genuine, to
 * hand to receivers.
 */
async function capturedDeliveries(leaseTtlMs = 5000) {
  const deliveries: Array<{ body: string; header: string }> = [];
  const spy = createServer((request, response) => {
    void bodyOf(request).then((body) => {
      deliveries.push({ body, header: String(request.headers['webhook-signature']) });
      response.writeHead(500).end();
    });
  });
  await new Promise<void>((resolve) => spy.listen(0, '127.0.0.1', resolve));
  const subscription = await webhookSubscription(
    `http://127.0.0.1:${(spy.address() as { port: number }).port}/`,
    leaseTtlMs,
  );
  return {
    ...subscription,
    /** The first delivery of the `generation`-th wake. */
    wake: async (nth: number) => {
      const generations = () => [
        ...new Set(deliveries.map((delivery) => (JSON.parse(delivery.body) as { generation: number }).generation)),
      ];
      await until(
        () => generations().length >= nth,
        () => `wake ${nth} (${generations().length} seen)`,
      );
      const generation = generations()[nth - 1];
      return deliveries.find(
        (delivery) => (JSON.parse(delivery.body) as { generation: number }).generation === generation,
      )!;
    },
    close: async () => {
      spy.closeAllConnections();
      await new Promise<void>((resolve) => spy.close(() => resolve()));
    },
  };
}

const answered = (answer: { status: number; body: string }) => [answer.status, JSON.parse(answer.body) as unknown];

describe('a delivery is confirmed current with the server before its handler runs', () => {
  it('a genuine delivery replayed to a fresh receiver after its wake completed is refused, and the handler never runs', async () => {
    const hooks = await capturedDeliveries();
    const first = webhookReceiver(fixture.server.client().client, { handler: readAll([]) });
    try {
      await hooks.append({ n: 1 });
      const delivery = await hooks.wake(1);
      const completed = firstValueFrom(first.outcomes);
      expect(answered(await first.handle(delivery.body, delivery.header))).toEqual([202, { done: false }]);
      await expect(completed).resolves.toMatchObject({ kind: 'completed' });
      const acked = (await firstValueFrom(hooks.handle.get())).streams[0].ackedOffset;
      expect(acked).toBe(await hooks.tail());

      // A restart, or a second instance behind the load balancer: nothing in memory, the signature still in its window.
      const { client, transport } = fixture.server.client();
      const handler = jest.fn(readAll([]));
      const fresh = webhookReceiver(client, { handler });
      expect(answered(await fresh.handle(delivery.body, delivery.header))).toEqual([
        200,
        { done: false, refused: 'not-current' },
      ]);
      expect(handler).not.toHaveBeenCalled();
      // One request decided it: the heartbeat on the callback, which the server fenced.
      expect(transport.count((request) => request.path.endsWith('/callback'))).toBe(1);
      // Again: answered from memory, nothing sent.
      expect(answered(await fresh.handle(delivery.body, delivery.header))).toEqual([
        200,
        { done: false, refused: 'duplicate' },
      ]);
      expect(transport.count((request) => request.path.endsWith('/callback'))).toBe(1);
      expect((await firstValueFrom(hooks.handle.get())).streams[0].ackedOffset).toBe(acked);
      fresh.close();
    } finally {
      first.close();
      await hooks.close();
    }
  });

  it('a delivery of an older wake, replayed while a newer one is in flight, is refused (fenced by generation)', async () => {
    const hooks = await capturedDeliveries();
    const first = webhookReceiver(fixture.server.client().client, { handler: readAll([]) });
    try {
      await hooks.append({ n: 1 });
      const old = await hooks.wake(1);
      const completed = firstValueFrom(first.outcomes);
      await first.handle(old.body, old.header);
      await completed;
      await hooks.append({ n: 2 });
      const current = await hooks.wake(2);

      const handler = jest.fn(readAll([]));
      const other = webhookReceiver(fixture.server.client().client, { handler });
      expect(answered(await other.handle(old.body, old.header))).toEqual([
        200,
        { done: false, refused: 'not-current' },
      ]);
      expect(handler).not.toHaveBeenCalled();
      // The current wake is untouched by the refused replay: it runs, and completes.
      const next = firstValueFrom(other.outcomes);
      expect(answered(await other.handle(current.body, current.header))).toEqual([202, { done: false }]);
      await expect(next).resolves.toMatchObject({
        kind: 'completed',
        wake: { generation: (JSON.parse(current.body) as { generation: number }).generation },
      });
      expect(handler).toHaveBeenCalledTimes(1);
      other.close();
    } finally {
      first.close();
      await hooks.close();
    }
  });

  it('with claimStream, one delivery given to two instances at once runs on one of them only', async () => {
    const hooks = await capturedDeliveries();
    const claimStream = unique('claims/wakes');
    const ranOn: string[] = [];
    const instance = (name: string) =>
      webhookReceiver(fixture.server.client().client, {
        claimStream,
        handler: (wake) => (ranOn.push(name), readAll([])(wake)),
      });
    const [a, b] = [instance('a'), instance('b')];
    try {
      await hooks.append({ n: 1 });
      const delivery = await hooks.wake(1);
      const completed = firstValueFrom(merge(a.outcomes, b.outcomes));
      const answers = await Promise.all([
        a.handle(delivery.body, delivery.header),
        b.handle(delivery.body, delivery.header),
      ]);
      expect(answers.map(answered).sort()).toEqual([
        [200, { done: false, refused: 'claimed-elsewhere' }],
        [202, { done: false }],
      ]);
      await expect(completed).resolves.toMatchObject({ kind: 'completed' });
      expect(ranOn).toHaveLength(1);
      // The claims stream is a journal: one claim for the wake, naming the instance that took it.
      const claims = await lastValueFrom(
        readJson(fixture.admin.stream(claimStream), { live: false }).pipe(
          mergeMap((batch) => batch.items),
          toArray(),
        ),
      );
      expect(claims).toEqual([
        expect.objectContaining({
          type: 'wake-claim',
          subscription_id: hooks.handle.id,
          wake_id: (JSON.parse(delivery.body) as { wake_id: string }).wake_id,
        }),
      ]);
      // A third instance given it later: the server fences it first, before any claim.
      const c = instance('c');
      expect(answered(await c.handle(delivery.body, delivery.header))).toEqual([
        200,
        { done: false, refused: 'not-current' },
      ]);
      c.close();
      expect(ranOn).toHaveLength(1);
    } finally {
      a.close();
      b.close();
      await hooks.close();
    }
  });

  it('refuses, loudly, a claimStream that is a stream of the subscription: its claims would wake it for ever', async () => {
    const hooks = await capturedDeliveries();
    // The subscription's pattern matches the claims stream.
    const claimStream = `${hooks.path.replace(/\/a$/, '')}/claims`;
    await fixture.server.createJson(claimStream);
    const handler = jest.fn(readAll([]));
    const receiver = webhookReceiver(fixture.server.client().client, { claimStream, handler });
    try {
      const outcome = firstValueFrom(receiver.outcomes);
      // The claims stream is linked by the pattern at its first message, which wakes the subscription.
      await firstValueFrom(
        appendJson(fixture.admin.stream(claimStream, { contentType: 'application/json' }), { unrelated: true }),
      );
      const delivery = await hooks.wake(1);
      expect((await receiver.handle(delivery.body, delivery.header)).status).toBe(503);
      await expect(outcome).resolves.toMatchObject({
        kind: 'failed',
        error: {
          message: expect.stringContaining(`claimStream '${claimStream}' is a stream of subscription`),
        },
      });
      expect(handler).not.toHaveBeenCalled();
    } finally {
      receiver.close();
      await hooks.close();
    }
  });
});
