import { firstValueFrom } from 'rxjs';
import { DurableStreamsClient, InvalidArgumentError } from '../../lib/index';
import { webhookReceiver, WebhookVerifier, type WebhookReceiverOptions } from '../../lib/subscriptions';
import type { HttpRequest, HttpResponse, HttpTransport } from '../../lib/transport/http-transport';
import { memoryResponse } from '../support/memory-response';
import { JwksServer, signatureHeader, signingKey } from './support/signing';

/** Answers every callback with `{ ok: true }`, a GET of the subscription with `subscription`, and records each request. */
class CallbackServer implements HttpTransport {
  readonly requests: HttpRequest[] = [];
  subscription = { id: 'sub-1', type: 'webhook', streams: [], lease_ttl_ms: 30_000 };
  request(request: HttpRequest): Promise<HttpResponse> {
    this.requests.push(request);
    const body = request.method === 'GET' ? JSON.stringify(this.subscription) : '{"ok":true,"next_wake":false}';
    return Promise.resolve(memoryResponse(200, { 'content-type': 'application/json' }, body));
  }
}

const notification = (callbackUrl: string) =>
  JSON.stringify({
    subscription_id: 'sub-1',
    wake_id: 'w_1',
    generation: 4,
    streams: [{ path: 'a', link_type: 'glob', acked_offset: '0_1', tail_offset: '0_2', has_pending: true }],
    callback_url: callbackUrl,
    callback_token: 'cb.tok',
  });

describe('webhookReceiver callbacks', () => {
  const key = signingKey();
  const jwks = new JwksServer();
  jwks.keys = [key];

  async function deliver(callbackUrl: string) {
    const callbacks = new CallbackServer();
    const client = new DurableStreamsClient({
      baseUrl: 'http://streams.test/v1/stream',
      transport: callbacks,
      headers: { authorization: 'Bearer service-jwt' },
      params: { tenant: 't1' },
    });
    const receiver = webhookReceiver(client, {
      handler: () => [],
      leaseTtlMs: 30_000,
      verifier: new WebhookVerifier({ jwksUrl: 'http://streams.test/v1/stream/__ds/jwks.json', transport: jwks }),
    });
    const outcome = firstValueFrom(receiver.outcomes);
    const body = notification(callbackUrl);
    const answer = await receiver.handle(body, signatureHeader(key, body, Math.floor(Date.now() / 1000)));
    expect(answer).toEqual({ status: 202, headers: { 'content-type': 'application/json' }, body: '{"done":false}' });
    await expect(outcome).resolves.toMatchObject({ kind: 'completed', acks: [{ stream: 'a', offset: '0_2' }] });
    receiver.close();
    return callbacks.requests;
  }

  it("sends done to the callback URL with the callback token, and the client's headers and params on the client's origin", async () => {
    const [confirm, done] = await deliver('http://streams.test/v1/stream/__ds/subscriptions/sub-1/callback');
    // Before the handler runs: a heartbeat the server fences, confirming the wake is current.
    expect(confirm).toMatchObject({
      method: 'POST',
      url: 'http://streams.test/v1/stream/__ds/subscriptions/sub-1/callback?tenant=t1',
      headers: { authorization: 'Bearer cb.tok', 'content-type': 'application/json' },
      body: '{"wake_id":"w_1","generation":4}',
    });
    expect(done).toMatchObject({
      method: 'POST',
      url: 'http://streams.test/v1/stream/__ds/subscriptions/sub-1/callback?tenant=t1',
      headers: { authorization: 'Bearer cb.tok', 'content-type': 'application/json' },
      body: '{"wake_id":"w_1","generation":4,"acks":[{"stream":"a","offset":"0_2"}],"done":true}',
    });
  });

  it("keeps the client's headers and params from a callback URL on another origin", async () => {
    const requests = await deliver('http://elsewhere.test/__ds/subscriptions/sub-1/callback');
    expect(requests).toHaveLength(2);
    for (const request of requests) {
      expect(request.url).toBe('http://elsewhere.test/__ds/subscriptions/sub-1/callback');
      expect(request.headers).toEqual({ authorization: 'Bearer cb.tok', 'content-type': 'application/json' });
    }
  });

  it('refuses deliveries once closed', async () => {
    const client = new DurableStreamsClient({
      baseUrl: 'http://streams.test/v1/stream',
      transport: new CallbackServer(),
    });
    const receiver = webhookReceiver(client, { handler: () => [] });
    receiver.close();
    await expect(receiver.handle('{}', 't=1,kid=k,ed25519=AAAA')).resolves.toMatchObject({ status: 503 });
  });

  it('checks its options when made: the lease, a heartbeat shorter than it, the body bounds, the claim stream', () => {
    const client = new DurableStreamsClient({
      baseUrl: 'http://streams.test/v1/stream',
      transport: new CallbackServer(),
    });
    const make = (options: Partial<WebhookReceiverOptions>) => () =>
      webhookReceiver(client, { handler: () => [], ...options });
    expect(make({ leaseTtlMs: 5000, heartbeatIntervalMs: 5000 })).toThrow(
      /heartbeatIntervalMs \(5000\) must be shorter than the lease of every subscription \(5000 ms\)/,
    );
    expect(make({ leaseTtlMs: 5000, heartbeatIntervalMs: 4999 })).not.toThrow();
    expect(make({ maxBodyBytes: NaN })).toThrow(/maxBodyBytes must be a positive finite number, got NaN/);
    for (const bad of [0, -1, Infinity]) expect(make({ maxBodyBytes: bad })).toThrow(InvalidArgumentError);
    expect(make({ bodyTimeoutMs: NaN })).toThrow(/bodyTimeoutMs/);
    expect(make({ bodyTimeoutMs: -5 })).toThrow(/bodyTimeoutMs/);
    expect(make({ heartbeatIntervalMs: 0 })).toThrow(/heartbeatIntervalMs/);
    expect(make({ leaseTtlMs: 999 })).toThrow(/leaseTtlMs must be a whole number of ms from 1000 to 600000/);
    expect(make({ claimStream: '..' })).toThrow(/claimStream: the stream path/);
    expect(make({ handler: undefined })).toThrow(/options.handler must be a function/);
  });

  it("refuses to run a wake whose subscription's lease, learned from the server, is no longer than heartbeatIntervalMs", async () => {
    const callbacks = new CallbackServer();
    callbacks.subscription = { ...callbacks.subscription, lease_ttl_ms: 1000 };
    const client = new DurableStreamsClient({ baseUrl: 'http://streams.test/v1/stream', transport: callbacks });
    const handler = jest.fn(() => []);
    const receiver = webhookReceiver(client, {
      handler,
      heartbeatIntervalMs: 5000,
      verifier: new WebhookVerifier({ jwksUrl: 'http://streams.test/v1/stream/__ds/jwks.json', transport: jwks }),
    });
    const outcome = firstValueFrom(receiver.outcomes);
    const body = notification('http://streams.test/v1/stream/__ds/subscriptions/sub-1/callback');
    const answer = await receiver.handle(body, signatureHeader(key, body, Math.floor(Date.now() / 1000)));
    expect(answer.status).toBe(503);
    await expect(outcome).resolves.toMatchObject({
      kind: 'failed',
      error: {
        constructor: InvalidArgumentError,
        message: expect.stringMatching(/lease of subscription 'sub-1' \(1000 ms\)/),
      },
    });
    expect(handler).not.toHaveBeenCalled();
    expect(callbacks.requests.map((request) => request.method)).toEqual(['GET']);
    receiver.close();
  });
});
