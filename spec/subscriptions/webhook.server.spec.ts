import { createServer, type Server } from 'node:http';
import { concatMap, filter, firstValueFrom, from, map, take, tap, timer, toArray } from 'rxjs';
import {
  subscription,
  webhookReceiver,
  type Ack,
  type Wake,
  type WebhookReceiver,
  type WakeOutcome,
} from '../../lib/subscriptions';
import { unique, useSubscriptionServer } from './support/server';
import { appendJson, headStream } from '../../lib/index';

const fixture = useSubscriptionServer();

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
    const { client, transport } = fixture.server.client();
    const receiver = webhookReceiver(client, {
      handler: (wake) => timer(2600).pipe(concatMap(() => readAll([])(wake))),
    });
    const outcome = firstValueFrom(receiver.outcomes);
    const hook = await listen(receiver);
    try {
      const { append } = await webhookSubscription(hook.url, 1000);
      await append({ n: 1 });
      await expect(outcome).resolves.toMatchObject({ kind: 'completed' });
      expect(
        transport.count((request) => request.path.endsWith('/callback') && !request.body.includes('"done"')),
      ).toBeGreaterThanOrEqual(5);
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
    const mitm = createServer(async (request, response) => {
      const chunks: Buffer[] = [];
      for await (const chunk of request) chunks.push(chunk as Buffer);
      deliveredBody = Buffer.concat(chunks).toString();
      deliveredHeader = String(request.headers['webhook-signature']);
      const forged = await fetch(hook.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'webhook-signature': deliveredHeader },
        body: deliveredBody.replace(/"generation":\d+/, '"generation":999'),
      });
      response.writeHead(forged.status, { 'content-type': 'application/json' }).end(await forged.text());
    });
    await new Promise<void>((resolve) => mitm.listen(0, '127.0.0.1', resolve));
    try {
      const { append } = await webhookSubscription(`http://127.0.0.1:${(mitm.address() as { port: number }).port}/`);
      await append({ n: 1 });
      while (hook.answers.length === 0) await new Promise((resolve) => setTimeout(resolve, 10));
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

  it('answers 401 without a signature, 405 to other methods, and runs a repeated delivery once, during its wake or after', async () => {
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

      let captured: { body: string; header: string } | undefined;
      const spy = createServer(async (request, response) => {
        const chunks: Buffer[] = [];
        for await (const chunk of request) chunks.push(chunk as Buffer);
        captured = { body: Buffer.concat(chunks).toString(), header: String(request.headers['webhook-signature']) };
        response.writeHead(500).end();
      });
      await new Promise<void>((resolve) => spy.listen(0, '127.0.0.1', resolve));
      const { append } = await webhookSubscription(`http://127.0.0.1:${(spy.address() as { port: number }).port}/`);
      await append({ n: 1 });
      while (!captured) await new Promise((resolve) => setTimeout(resolve, 10));
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
      expect(answers.map((answer) => answer.status)).toEqual([202, 202]);
      await outcomes;
      // Once more after the wake completed: answered, not run again.
      await expect(receiver.handle(captured.body, captured.header)).resolves.toMatchObject({ status: 202 });
      expect(started).toHaveLength(1);
    } finally {
      await hook.close();
    }
  });
});
