import { InvalidArgumentError, ParseError, ServerError } from '../../lib/index';
import { JwksCache, maxAgeMs } from '../../lib/subscriptions/jwks-cache';
import { WebhookSignatureError } from '../../lib/subscriptions/webhook-signature';
import { WebhookVerifier, type WebhookVerifierOptions } from '../../lib/subscriptions/webhook-verifier';
import { JwksServer, signatureHeader, signingKey, type SigningKey } from './support/signing';
import { sleep } from '../support/until';

const JWKS_URL = 'http://streams.test/v1/stream/__ds/jwks.json';
const NOW = Date.UTC(2026, 4, 9, 12, 0, 0);
const seconds = NOW / 1000;

const body = JSON.stringify({
  subscription_id: 'sub-1',
  wake_id: 'w_abc',
  generation: 7,
  streams: [{ path: 'events/a', link_type: 'glob', acked_offset: '0_1', tail_offset: '0_9', has_pending: true }],
  callback_url: 'http://streams.test/v1/stream/__ds/subscriptions/sub-1/callback',
  callback_token: 'tok',
});

describe('WebhookVerifier', () => {
  let server: JwksServer;
  let key: SigningKey;
  let clock: number;
  const verifier = (options: Partial<WebhookVerifierOptions> = {}) =>
    new WebhookVerifier({ jwksUrl: JWKS_URL, transport: server, now: () => clock, ...options });
  const reason = (promise: Promise<unknown>) =>
    promise.then(
      () => 'verified',
      (error: unknown) => (error instanceof WebhookSignatureError ? error.reason : error),
    );

  beforeEach(() => {
    server = new JwksServer();
    key = signingKey();
    server.keys = [key];
    clock = NOW;
  });

  it('resolves to the notification, camelCase, for a body signed by a key of the set', async () => {
    const notification = await verifier().verify(body, signatureHeader(key, body, seconds));
    expect(notification).toEqual({
      subscriptionId: 'sub-1',
      wakeId: 'w_abc',
      generation: 7,
      streams: [{ path: 'events/a', linkType: 'glob', ackedOffset: '0_1', tailOffset: '0_9', hasPending: true }],
      callbackUrl: 'http://streams.test/v1/stream/__ds/subscriptions/sub-1/callback',
      callbackToken: 'tok',
    });
    expect(server.requests.map((request) => [request.method, request.url, request.headers['accept']])).toEqual([
      ['GET', JWKS_URL, 'application/jwk-set+json, application/json'],
    ]);
  });

  it('verifies the raw body given as bytes, multi-byte characters included', async () => {
    const unicode = body.replace('w_abc', 'w_ä€😀');
    const bytes = new TextEncoder().encode(unicode);
    await expect(verifier().verify(bytes, signatureHeader(key, bytes, seconds))).resolves.toMatchObject({
      wakeId: 'w_ä€😀',
    });
  });

  it('rejects a tampered body, a re-serialized body and a signature of another key', async () => {
    const header = signatureHeader(key, body, seconds);
    const v = verifier();
    expect(await reason(v.verify(body.replace('"generation":7', '"generation":8'), header))).toBe('bad-signature');
    expect(await reason(v.verify(JSON.stringify(JSON.parse(body), null, 1), header))).toBe('bad-signature');
    const other = { ...signingKey(), kid: key.kid };
    expect(await reason(v.verify(body, signatureHeader(other, body, seconds)))).toBe('bad-signature');
    // The timestamp is signed too: moving it breaks the signature.
    expect(await reason(v.verify(body, header.replace(`t=${seconds}`, `t=${seconds + 1}`)))).toBe('bad-signature');
  });

  it('rejects timestamps outside the replay window, before fetching any key', async () => {
    const v = verifier({ toleranceSeconds: 300 });
    expect(await reason(v.verify(body, signatureHeader(key, body, seconds - 301)))).toBe('stale');
    expect(await reason(v.verify(body, signatureHeader(key, body, seconds + 301)))).toBe('stale');
    expect(server.requests).toHaveLength(0);
    expect(await reason(v.verify(body, signatureHeader(key, body, seconds - 300)))).toBe('verified');
    expect(await reason(v.verify(body, signatureHeader(key, body, seconds + 300)))).toBe('verified');
  });

  it('rejects a missing or malformed header', async () => {
    const v = verifier();
    expect(await reason(v.verify(body, undefined))).toBe('missing');
    expect(await reason(v.verify(body, ''))).toBe('missing');
    expect(await reason(v.verify(body, 'sha256=abc'))).toBe('malformed');
    expect(
      await reason(v.verify(body, [signatureHeader(key, body, seconds), signatureHeader(key, body, seconds)])),
    ).toBe('malformed');
    const error = await v.verify(body, undefined).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(WebhookSignatureError);
    expect((error as WebhookSignatureError).code).toBe('WEBHOOK_SIGNATURE_INVALID');
    expect((error as Error).message).toMatch(/no Webhook-Signature header.*401/);
  });

  it('refuses a header with more than 8 signature values, or over 4 096 characters, before any key fetch or crypto', async () => {
    const v = verifier();
    const genuine = signatureHeader(key, body, seconds);
    const value = genuine.slice(genuine.indexOf('ed25519=') + 'ed25519='.length);
    const verify = jest.spyOn(globalThis.crypto.subtle, 'verify');
    try {
      // Hundreds of values, the genuine one last: each would cost a verification.
      const many = `t=${seconds},kid=${key.kid},${Array.from({ length: 300 }, () => `ed25519=${value}`).join(',')}`;
      const error = await v.verify(body, many).catch((e: unknown) => e);
      expect(error).toMatchObject({
        reason: 'malformed',
        message: expect.stringContaining('longer than 4096'),
      });
      const nine = `t=${seconds},kid=${key.kid},${Array.from({ length: 9 }, () => `ed25519=${value}`).join(',')}`;
      expect(nine.length).toBeLessThan(4096);
      expect(await v.verify(body, nine).catch((e: unknown) => e)).toMatchObject({
        reason: 'malformed',
        message: expect.stringContaining('more than 8 ed25519 values'),
      });
      expect(server.requests).toHaveLength(0);
      expect(verify).not.toHaveBeenCalled();
      // Eight are still tried (a rotation may sign with several keys).
      const eight = `t=${seconds},kid=${key.kid},${Array.from({ length: 8 }, () => `ed25519=${value}`).join(',')}`;
      await expect(v.verify(body, eight)).resolves.toMatchObject({ wakeId: 'w_abc' });
    } finally {
      verify.mockRestore();
    }
  });

  it('keeps the key set as long as Cache-Control max-age says', async () => {
    server.cacheControl = 'public, max-age=60';
    const v = verifier();
    await v.verify(body, signatureHeader(key, body, seconds));
    clock = NOW + 59_000;
    await v.verify(body, signatureHeader(key, body, clock / 1000));
    expect(server.requests).toHaveLength(1);
    clock = NOW + 60_000;
    await v.verify(body, signatureHeader(key, body, clock / 1000));
    expect(server.requests).toHaveLength(2);
  });

  it('fetches for every delivery when the key set says no-store', async () => {
    server.cacheControl = 'no-store';
    const v = verifier();
    await v.verify(body, signatureHeader(key, body, seconds));
    await v.verify(body, signatureHeader(key, body, seconds));
    expect(server.requests).toHaveLength(2);
  });

  it('fetches once more for an unknown kid: a rotated key verifies, an unknown one is refused', async () => {
    const v = verifier({ refetchCooldownMs: 0 });
    await v.verify(body, signatureHeader(key, body, seconds));
    const rotated = signingKey();
    server.keys = [key, rotated];
    await expect(v.verify(body, signatureHeader(rotated, body, seconds))).resolves.toMatchObject({ wakeId: 'w_abc' });
    expect(server.requests).toHaveLength(2);
    const stranger = signingKey();
    expect(await reason(v.verify(body, signatureHeader(stranger, body, seconds)))).toBe('unknown-key');
    expect(server.requests).toHaveLength(3);
  });

  it('refetches for unknown kids at most once per cooldown, so forged headers cannot make it fetch per request', async () => {
    const v = verifier({ refetchCooldownMs: 10_000 });
    await v.verify(body, signatureHeader(key, body, seconds));
    for (let i = 0; i < 5; i++)
      expect(await reason(v.verify(body, signatureHeader(signingKey(), body, seconds)))).toBe('unknown-key');
    expect(server.requests).toHaveLength(1);
    clock = NOW + 10_000;
    expect(await reason(v.verify(body, signatureHeader(signingKey(), body, clock / 1000)))).toBe('unknown-key');
    expect(server.requests).toHaveLength(2);
  });

  it('shares one fetch among concurrent verifications', async () => {
    let open!: () => void;
    server.gate = new Promise((resolve) => (open = resolve));
    const v = verifier();
    const all = Promise.all([1, 2, 3].map(() => v.verify(body, signatureHeader(key, body, seconds))));
    await sleep(5);
    open();
    await expect(all).resolves.toHaveLength(3);
    expect(server.requests).toHaveLength(1);
  });

  it('rejects with the typed fetch error when the key set cannot be fetched, keeps that failure for failureCacheMs, then fetches again', async () => {
    server.status = 503;
    const v = verifier({ failureCacheMs: 5_000 });
    const failure = await v.verify(body, signatureHeader(key, body, seconds)).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(ServerError);
    server.status = 200;
    // Within the window: the same error, from memory, however many deliveries come.
    for (let i = 0; i < 20; i++)
      await expect(v.verify(body, signatureHeader(key, body, seconds))).rejects.toBe(failure);
    expect(server.requests).toHaveLength(1);
    clock = NOW + 5_000;
    await expect(v.verify(body, signatureHeader(key, body, clock / 1000))).resolves.toMatchObject({ generation: 7 });
    expect(server.requests).toHaveLength(2);
  });

  it('refuses a verified delivery for a subscription it does not serve, when told which it serves', async () => {
    expect(
      await reason(verifier({ subscriptionIds: ['sub-2'] }).verify(body, signatureHeader(key, body, seconds))),
    ).toBe('unexpected-subscription');
    expect(
      await reason(verifier({ subscriptionIds: ['sub-2', 'sub-1'] }).verify(body, signatureHeader(key, body, seconds))),
    ).toBe('verified');
  });

  it('fails with a ParseError when a correctly signed body is not a notification', async () => {
    const odd = JSON.stringify({ subscription_id: 'sub-1' });
    await expect(verifier().verify(odd, signatureHeader(key, odd, seconds))).rejects.toThrow(ParseError);
  });

  it('checks its options at construction', () => {
    expect(() => new WebhookVerifier({ jwksUrl: '/__ds/jwks.json' })).toThrow(InvalidArgumentError);
    expect(() => verifier({ toleranceSeconds: 0 })).toThrow(/toleranceSeconds/);
    expect(() => verifier({ timeoutMs: NaN })).toThrow(/timeoutMs must be a positive number, got NaN/);
    expect(() => verifier({ timeoutMs: -1 })).toThrow(/timeoutMs/);
    expect(() => verifier({ maxKeySetBytes: Infinity })).toThrow(/maxKeySetBytes/);
    expect(() => verifier({ failureCacheMs: -5 })).toThrow(/failureCacheMs must be a non-negative number/);
    expect(() => verifier({ failureCacheMs: 0, maxKeySetBytes: 1024 })).not.toThrow();
  });
});

describe('JwksCache', () => {
  it('skips keys that are not Ed25519 signing keys', async () => {
    const good = signingKey();
    const cache = new JwksCache({
      load: () =>
        Promise.resolve({
          body: JSON.stringify({
            keys: [{ kty: 'RSA', kid: 'rsa', n: 'x', e: 'AQAB' }, { ...good.jwk, kid: 'enc', use: 'enc' }, good.jwk],
          }),
          cacheControl: undefined,
        }),
      now: () => 0,
      defaultMaxAgeMs: 1000,
      refetchCooldownMs: 1000,
      failureCacheMs: 0,
      url: JWKS_URL,
    });
    await expect(cache.key('rsa')).resolves.toBeUndefined();
    await expect(cache.key('enc')).resolves.toBeUndefined();
    await expect(cache.key(good.kid)).resolves.toMatchObject({ type: 'public', algorithm: { name: 'Ed25519' } });
  });

  it('reads max-age, no-store and no-cache from Cache-Control', () => {
    expect(maxAgeMs('public, max-age=300')).toBe(300_000);
    expect(maxAgeMs('Max-Age=5, must-revalidate')).toBe(5_000);
    expect(maxAgeMs('max-age=60, no-cache')).toBe(0);
    expect(maxAgeMs('no-store')).toBe(0);
    expect(maxAgeMs('public')).toBeUndefined();
    expect(maxAgeMs(undefined)).toBeUndefined();
    expect(maxAgeMs('max-age=abc')).toBeUndefined();
  });
});
