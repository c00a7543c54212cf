import { fetchTransport, ServerError, type HttpTransport } from '../../lib/index';
import { WebhookKeySetError, WebhookVerifier, type WebhookVerifierOptions } from '../../lib/subscriptions';
import { undiciTransport } from '../../lib/transport/undici/undici-transport';
import { LoopbackServer } from '../support/loopback-server';
import { sleep, until } from '../support/until';
import { signatureHeader, signingKey, type SigningKey } from './support/signing';

const body = JSON.stringify({
  subscription_id: 'sub-1',
  wake_id: 'w_1',
  generation: 1,
  streams: [],
  callback_url: 'http://streams.test/v1/stream/__ds/subscriptions/sub-1/callback',
  callback_token: 'tok',
});
const jwks = (...keys: SigningKey[]) => JSON.stringify({ keys: keys.map((key) => key.jwk) });
const signed = (key: SigningKey) => signatureHeader(key, body, Math.floor(Date.now() / 1000));
const failureOf = (promise: Promise<unknown>) =>
  promise.then(
    () => 'verified',
    (error: unknown) => error,
  );

/** The key set as a hostile or broken server serves it, on a loopback port: fetched by the SDK's transports for real. */
describe.each<[string, () => HttpTransport & { close?: () => Promise<void> }]>([
  ['fetch', () => fetchTransport()],
  ['undici', () => undiciTransport()],
])('the webhook key set from a hostile server (%s)', (_name, makeTransport) => {
  let server: LoopbackServer;
  let other: LoopbackServer;
  let origin: string;
  let otherOrigin: string;
  let transport: HttpTransport & { close?: () => Promise<void> };
  const key = signingKey();
  const verifier = (options: Partial<WebhookVerifierOptions> = {}) =>
    new WebhookVerifier({ jwksUrl: `${origin}/v1/stream/__ds/jwks.json`, transport, ...options });

  beforeEach(async () => {
    server = new LoopbackServer();
    other = new LoopbackServer();
    origin = await server.start();
    otherOrigin = await other.start();
    transport = makeTransport();
  });
  afterEach(async () => {
    await transport.close?.();
    await server.stop();
    await other.stop();
  });

  it('refuses a redirect to another origin: the other origin is never asked, its keys never trusted', async () => {
    const attacker = signingKey();
    server.answer((_req, res) => res.writeHead(302, { location: `${otherOrigin}/keys.json` }).end());
    other.answer((_req, res) => res.writeHead(200, { 'content-type': 'application/json' }).end(jwks(attacker)));
    const error = await failureOf(verifier().verify(body, signed(attacker)));
    expect(error).toBeInstanceOf(WebhookKeySetError);
    expect(error).toMatchObject({ reason: 'cross-origin-redirect', code: 'WEBHOOK_KEY_SET_REFUSED' });
    expect((error as Error).message).toContain(`to ${otherOrigin}`);
    expect(other.requests).toHaveLength(0);
  });

  it('follows a redirect on its own origin, and refuses an endless chain after three', async () => {
    server.answer((req, res) => {
      if (req.url === '/v1/stream/__ds/jwks.json') res.writeHead(301, { location: '/keys/current.json' }).end();
      else res.writeHead(200, { 'content-type': 'application/jwk-set+json' }).end(jwks(key));
    });
    await expect(verifier().verify(body, signed(key))).resolves.toMatchObject({ wakeId: 'w_1' });
    expect(server.requests.map((request) => request.url)).toEqual(['/v1/stream/__ds/jwks.json', '/keys/current.json']);

    server.requests.length = 0;
    server.answer((req, res) => res.writeHead(307, { location: `${req.url}x` }).end());
    await expect(failureOf(verifier().verify(body, signed(key)))).resolves.toMatchObject({
      reason: 'too-many-redirects',
    });
    expect(server.requests).toHaveLength(4);
  });

  it('bounds the whole fetch, body included: a trickling key set fails in timeoutMs, and its connection is closed', async () => {
    server.answer((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      const text = jwks(key);
      let sent = 0;
      // One byte every 50 ms: never silent for long, never done (about 10 s for the whole set).
      const timer = setInterval(() => {
        if (sent < text.length) res.write(text[sent++]);
      }, 50);
      res.on('close', () => clearInterval(timer));
    });
    const started = Date.now();
    const error = await failureOf(verifier({ timeoutMs: 400 }).verify(body, signed(key)));
    const elapsed = Date.now() - started;
    expect(error).toBeInstanceOf(WebhookKeySetError);
    expect(error).toMatchObject({ reason: 'too-slow', isRetryable: true });
    expect(elapsed).toBeGreaterThanOrEqual(390);
    // The whole set trickles for about 10 s: a loaded machine adds to the 400 ms, not that much.
    expect(elapsed).toBeLessThan(3_000);
    await until(() => server.requests[0]?.closedAt !== undefined, 'the over-long key set request to close');
    expect(server.requests[0]).toMatchObject({ aborted: true });
  });

  it('refuses a key set over maxKeySetBytes: at once when Content-Length says so, and as soon as an unsized body passes it', async () => {
    server.answer((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': String(200 * 1024 * 1024) });
      res.write('{"keys":[');
      // Nothing more: a client that waited for 200 MiB would wait for ever.
    });
    const declared = await failureOf(verifier({ timeoutMs: 5_000 }).verify(body, signed(key)));
    expect(declared).toMatchObject({ reason: 'too-large' });
    expect((declared as Error).message).toMatch(/over 65536 bytes \(Content-Length 209715200\)/);

    let written = 0;
    server.answer((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      const chunk = Buffer.alloc(64 * 1024, 0x20);
      // Endless, as fast as the client reads: stops only when the client goes away.
      const pump = () => {
        while (!res.destroyed && res.write(chunk)) written += chunk.length;
        if (!res.destroyed) res.once('drain', pump);
      };
      pump();
    });
    const unsized = await failureOf(
      verifier({ maxKeySetBytes: 128 * 1024, timeoutMs: 5_000 }).verify(body, signed(key)),
    );
    expect(unsized).toMatchObject({ reason: 'too-large' });
    expect((unsized as Error).message).toMatch(/over 131072 bytes \(its body ran past it\)/);
    await until(() => server.requests[1]?.closedAt !== undefined, 'the endless key set request to close');
    expect(server.requests[1]).toMatchObject({ aborted: true });
    // What the server managed to write before the client went away: socket buffers, not the body.
    expect(written).toBeLessThan(16 * 1024 * 1024);
  });

  it('keeps a failing key set’s error for failureCacheMs: one request for many deliveries, then one more', async () => {
    server.answer((_req, res) => res.writeHead(500, { 'content-type': 'text/plain' }).end('down'));
    const v = verifier({ failureCacheMs: 300 });
    const failures = await Promise.all(Array.from({ length: 20 }, () => failureOf(v.verify(body, signed(key)))));
    for (const failure of failures) expect(failure).toBeInstanceOf(ServerError);
    for (let i = 0; i < 10; i++) expect(await failureOf(v.verify(body, signed(key)))).toBeInstanceOf(ServerError);
    expect(server.requests).toHaveLength(1);
    await sleep(320);
    server.answer((_req, res) => res.writeHead(200, { 'content-type': 'application/json' }).end(jwks(key)));
    await expect(v.verify(body, signed(key))).resolves.toMatchObject({ wakeId: 'w_1' });
    expect(server.requests).toHaveLength(2);
  });
});
