import { firstValueFrom, lastValueFrom } from 'rxjs';
import { DurableStreamsClient, InvalidArgumentError, ServerError } from '../../lib/index';
import { AlreadyClaimedError, subscription } from '../../lib/subscriptions';
import { ORIGIN, wireDoubles, type WireDouble } from '../support/wire-doubles';

const BASE = `${ORIGIN}/v1/stream`;
const json = { 'content-type': 'application/json' };
const claimBody = JSON.stringify({
  wake_id: 'w_1',
  generation: 7,
  token: 'claim.tok',
  streams: [{ path: 'events/a', link_type: 'glob', acked_offset: '0_1', tail_offset: '0_2', has_pending: true }],
  lease_ttl_ms: 30000,
});
const wake = { wakeId: 'w_1', generation: 7, token: 'claim.tok' };

describe.each(wireDoubles)('subscription requests on the wire (%s)', (_name, makeDouble) => {
  let wire: WireDouble;
  let client: DurableStreamsClient;

  beforeEach(() => {
    wire = makeDouble();
    client = new DurableStreamsClient({
      baseUrl: BASE,
      transport: wire.transport,
      headers: { authorization: 'Bearer service-jwt', 'x-tenant': () => 't1' },
      retry: { initialDelayMs: 1, maxDelayMs: 2, maxRetries: 2 },
    });
  });
  afterEach(() => wire.close());

  it('ensure PUTs the snake_case configuration to the encoded id, with the client headers', async () => {
    wire.script({
      method: 'PUT',
      status: 201,
      headers: json,
      body: JSON.stringify({ id: 'a/b c', type: 'webhook', streams: [], lease_ttl_ms: 30000 }),
    });
    const result = await firstValueFrom(
      subscription(client, 'a/b c').ensure({
        type: 'webhook',
        pattern: 'e/**',
        webhook: { url: 'https://h.example/x' },
      }),
    );
    expect(result.created).toBe(true);
    expect(wire.captured).toEqual([
      {
        method: 'PUT',
        path: '/v1/stream/__ds/subscriptions/a%2Fb%20c',
        headers: expect.objectContaining({
          'content-type': 'application/json',
          authorization: 'Bearer service-jwt',
          'x-tenant': 't1',
        }),
        body: '{"type":"webhook","pattern":"e/**","webhook":{"url":"https://h.example/x"}}',
      },
    ]);
    wire.assertDone();
  });

  it('claim POSTs the worker with the client credentials; ack and release carry the wake token instead', async () => {
    wire.script(
      { method: 'POST', status: 200, headers: json, body: claimBody },
      { method: 'POST', status: 200, headers: json, body: '{"ok":true,"next_wake":false}' },
      { method: 'POST', status: 204 },
    );
    const handle = subscription(client, 'sub-1');
    const claim = await firstValueFrom(handle.claim('worker-1'));
    expect(claim).toMatchObject(wake);
    await firstValueFrom(handle.ack(claim, { acks: [{ stream: 'events/a', offset: '0_2' }], done: true }));
    await lastValueFrom(handle.release(claim), { defaultValue: undefined });
    expect(
      wire.captured.map(({ method, path, headers, body }) => ({
        method,
        path,
        authorization: headers['authorization'],
        tenant: headers['x-tenant'],
        body,
      })),
    ).toEqual([
      {
        method: 'POST',
        path: '/v1/stream/__ds/subscriptions/sub-1/claim',
        authorization: 'Bearer service-jwt',
        tenant: 't1',
        body: '{"worker":"worker-1"}',
      },
      {
        method: 'POST',
        path: '/v1/stream/__ds/subscriptions/sub-1/ack',
        authorization: 'Bearer claim.tok',
        tenant: 't1',
        body: '{"wake_id":"w_1","generation":7,"acks":[{"stream":"events/a","offset":"0_2"}],"done":true}',
      },
      {
        method: 'POST',
        path: '/v1/stream/__ds/subscriptions/sub-1/release',
        authorization: 'Bearer claim.tok',
        tenant: 't1',
        body: '{"wake_id":"w_1","generation":7}',
      },
    ]);
  });

  it('a heartbeat is an ack with neither acks nor done', async () => {
    wire.script({ method: 'POST', status: 200, headers: json, body: '{"ok":true,"next_wake":false}' });
    await firstValueFrom(subscription(client, 'sub-1').ack(wake));
    expect(wire.captured[0]?.body).toBe('{"wake_id":"w_1","generation":7}');
  });

  it('addStreams and removeStream: the path of a removed stream is encoded whole', async () => {
    wire.script({ method: 'POST', status: 204 }, { method: 'DELETE', status: 204 });
    const handle = subscription(client, 'sub-1');
    await lastValueFrom(handle.addStreams(['a/b', 'c']), { defaultValue: undefined });
    await lastValueFrom(handle.removeStream('a/b'), { defaultValue: undefined });
    expect(wire.captured.map(({ method, path, body }) => [method, path, body])).toEqual([
      ['POST', '/v1/stream/__ds/subscriptions/sub-1/streams', '{"streams":["a/b","c"]}'],
      ['DELETE', '/v1/stream/__ds/subscriptions/sub-1/streams/a%2Fb', ''],
    ]);
  });

  it('addStreams and removeStream take handles: the same paths on the wire; a stream elsewhere is refused, nothing sent', async () => {
    wire.script({ method: 'POST', status: 204 }, { method: 'DELETE', status: 204 });
    const handle = subscription(client, 'sub-1');
    await lastValueFrom(handle.addStreams([client.stream('a/b'), 'c']), { defaultValue: undefined });
    await lastValueFrom(handle.removeStream(client.stream<{ n: number }>('a/b')), { defaultValue: undefined });
    expect(wire.captured.map(({ method, path, body }) => [method, path, body])).toEqual([
      ['POST', '/v1/stream/__ds/subscriptions/sub-1/streams', '{"streams":["a/b","c"]}'],
      ['DELETE', '/v1/stream/__ds/subscriptions/sub-1/streams/a%2Fb', ''],
    ]);
    const elsewhere = client.stream('http://elsewhere.test/v1/stream/a');
    expect(() => handle.removeStream(elsewhere)).toThrow(InvalidArgumentError);
    expect(() => handle.removeStream(elsewhere)).toThrow(
      /the stream http:\/\/elsewhere\.test\/v1\/stream\/a is not under the client's baseUrl/,
    );
    expect(() => handle.addStreams(['c', { url: `${BASE}/a` }])).toThrow(InvalidArgumentError);
    expect(() => handle.addStreams(['c', { url: `${BASE}/a` }])).toThrow(
      /a stream is a handle \(client\.stream\(path\)\) or a path/,
    );
    expect(wire.captured).toHaveLength(2);
  });

  it('does not repeat a claim after a failure that may have reached the server, but repeats a heartbeat', async () => {
    wire.script({ method: 'POST', status: 500 });
    await expect(firstValueFrom(subscription(client, 'sub-1').claim('w'))).rejects.toBeInstanceOf(ServerError);
    expect(wire.captured).toHaveLength(1);
    wire.script({ method: 'POST', status: 500 }, { method: 'POST', status: 200, headers: json, body: '{"ok":true}' });
    await expect(firstValueFrom(subscription(client, 'sub-1').ack(wake))).resolves.toEqual({ nextWake: false });
    expect(wire.captured).toHaveLength(3);
  });

  it('types a 409 by its error code', async () => {
    wire.script({
      method: 'POST',
      status: 409,
      headers: json,
      body: '{"error":{"code":"ALREADY_CLAIMED","current_holder":"w2","generation":3}}',
    });
    await expect(firstValueFrom(subscription(client, 'sub-1').claim('w1'))).rejects.toMatchObject({
      constructor: AlreadyClaimedError,
      currentHolder: 'w2',
      generation: 3,
    });
  });
});
