import { firstValueFrom } from 'rxjs';
import { DurableStreamsClient } from '../../lib/index';
import { webhookReceiver, WebhookVerifier } from '../../lib/subscriptions';
import type { HttpRequest, HttpResponse, HttpTransport } from '../../lib/transport/http-transport';
import { JwksServer, signatureHeader, signingKey } from './support/signing';

/** Answers every callback with `{ ok: true }` and records it. */
class CallbackServer implements HttpTransport {
  readonly requests: HttpRequest[] = [];
  async request(request: HttpRequest): Promise<HttpResponse> {
    this.requests.push(request);
    const body = '{"ok":true,"next_wake":false}';
    return {
      status: 200,
      headers: {
        get: (name) => (name === 'content-type' ? 'application/json' : null),
        entries: () => [['content-type', 'application/json']],
      },
      body: {
        text: async () => body,
        bytes: async () => new TextEncoder().encode(body),
        // The same body as text() and bytes(): the SDK may read a body either way.
        stream: async function* () {
          yield new TextEncoder().encode(body);
        },
        dump: async () => undefined,
      },
    };
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
    const [done] = await deliver('http://streams.test/v1/stream/__ds/subscriptions/sub-1/callback');
    expect(done).toMatchObject({
      method: 'POST',
      url: 'http://streams.test/v1/stream/__ds/subscriptions/sub-1/callback?tenant=t1',
      headers: { authorization: 'Bearer cb.tok', 'content-type': 'application/json' },
      body: '{"wake_id":"w_1","generation":4,"acks":[{"stream":"a","offset":"0_2"}],"done":true}',
    });
  });

  it("keeps the client's headers and params from a callback URL on another origin", async () => {
    const [done] = await deliver('http://elsewhere.test/__ds/subscriptions/sub-1/callback');
    expect(done?.url).toBe('http://elsewhere.test/__ds/subscriptions/sub-1/callback');
    expect(done?.headers).toEqual({ authorization: 'Bearer cb.tok', 'content-type': 'application/json' });
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
});
