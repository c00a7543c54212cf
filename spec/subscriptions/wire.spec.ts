import { InvalidArgumentError, ParseError } from '../../lib/index';
import { validateSubscriptionConfig } from '../../lib/subscriptions/subscription-config';
import {
  ackResultFromWire,
  ackToWire,
  claimFromWire,
  configToWire,
  parseJsonBody,
  releaseToWire,
  subscriptionFromWire,
  wakeEventFromWire,
} from '../../lib/subscriptions/wire';

const URL_ = 'http://s.test/v1/stream/__ds/subscriptions/s1';

// Bodies as the reference server (@durable-streams/server 0.3.7) sends them.
const pullWake = {
  id: 's1',
  subscription_id: 's1',
  type: 'pull-wake',
  pattern: 'events/*',
  streams: [
    { path: 'events/a', link_type: 'glob', acked_offset: '0000000000000000_0000000000000026' },
    { path: 'events/b', link_type: 'glob', acked_offset: '-1' },
    { path: 'x/2', link_type: 'explicit', acked_offset: '0000000000000000_0000000000000000' },
  ],
  wake_stream: 'wake/pool',
  lease_ttl_ms: 1000,
  created_at: '2026-11-30T07:49:43.561Z',
  status: 'active',
};

const webhook = {
  id: 'h1',
  subscription_id: 'h1',
  type: 'webhook',
  pattern: 'hooks/*',
  streams: [],
  webhook: {
    url: 'http://127.0.0.1:44349/hook',
    signing: { alg: 'ed25519', kid: 'ds_O75a', jwks_url: 'http://127.0.0.1:42797/v1/stream/__ds/jwks.json' },
  },
  lease_ttl_ms: 1000,
  created_at: '2026-11-30T07:49:54.921Z',
  status: 'failed',
  description: 'hooks',
};

describe('subscription wire mapping', () => {
  it('sends the configuration in snake_case, leaving out what was not given', () => {
    expect(
      configToWire({
        type: 'pull-wake',
        pattern: 'events/*',
        streams: ['a', 'b'],
        wakeStream: 'wake/pool',
        leaseTtlMs: 5000,
        description: 'd',
      }),
    ).toEqual({
      type: 'pull-wake',
      pattern: 'events/*',
      streams: ['a', 'b'],
      wake_stream: 'wake/pool',
      lease_ttl_ms: 5000,
      description: 'd',
    });
    expect(
      JSON.stringify(configToWire({ type: 'webhook', streams: ['a'], webhook: { url: 'https://w.example/h' } })),
    ).toBe('{"type":"webhook","streams":["a"],"webhook":{"url":"https://w.example/h"}}');
  });

  it('reads a pull-wake subscription', () => {
    expect(subscriptionFromWire(pullWake, URL_)).toEqual({
      id: 's1',
      type: 'pull-wake',
      pattern: 'events/*',
      streams: [
        { path: 'events/a', linkType: 'glob', ackedOffset: '0000000000000000_0000000000000026' },
        { path: 'events/b', linkType: 'glob', ackedOffset: '-1' },
        { path: 'x/2', linkType: 'explicit', ackedOffset: '0000000000000000_0000000000000000' },
      ],
      wakeStream: 'wake/pool',
      webhook: undefined,
      leaseTtlMs: 1000,
      createdAt: '2026-11-30T07:49:43.561Z',
      status: 'active',
      description: undefined,
    });
  });

  it('reads a webhook subscription with its signing metadata; wake_stream null as in PROTOCOL.md 6.3', () => {
    expect(subscriptionFromWire({ ...webhook, wake_stream: null }, URL_)).toMatchObject({
      type: 'webhook',
      wakeStream: undefined,
      webhook: {
        url: 'http://127.0.0.1:44349/hook',
        signing: { alg: 'ed25519', kid: 'ds_O75a', jwksUrl: 'http://127.0.0.1:42797/v1/stream/__ds/jwks.json' },
      },
      status: 'failed',
      description: 'hooks',
    });
  });

  it('names the field a malformed body lacks, in a ParseError', () => {
    const { lease_ttl_ms: _, ...noTtl } = pullWake;
    expect(() => subscriptionFromWire(noTtl, URL_)).toThrow(ParseError);
    expect(() => subscriptionFromWire(noTtl, URL_)).toThrow(/'lease_ttl_ms' is missing, expected a number/);
    expect(() =>
      subscriptionFromWire({ ...pullWake, streams: [{ path: 'a', link_type: 'other', acked_offset: '1' }] }, URL_),
    ).toThrow(/streams\[0\]: 'link_type' is string "other", expected 'glob' or 'explicit'/);
    expect(() => parseJsonBody('<html>proxy</html>', 'claim', URL_)).toThrow(/claim: the response is not JSON/);
    expect(() => parseJsonBody('[1]', 'claim', URL_)).toThrow(/not a JSON object/);
  });

  it('reads a claim', () => {
    const claim = {
      wake_id: 'w_3716',
      generation: 1,
      token: 'eyJ.sig',
      streams: [
        { path: 'events/a', link_type: 'glob', acked_offset: '0_13', tail_offset: '0_26', has_pending: true },
        { path: 'events/c', link_type: 'explicit', acked_offset: '0_26', tail_offset: '0_26', has_pending: false },
      ],
      lease_ttl_ms: 1000,
    };
    expect(claimFromWire(claim, URL_)).toEqual({
      wakeId: 'w_3716',
      generation: 1,
      token: 'eyJ.sig',
      streams: [
        { path: 'events/a', linkType: 'glob', ackedOffset: '0_13', tailOffset: '0_26', hasPending: true },
        { path: 'events/c', linkType: 'explicit', ackedOffset: '0_26', tailOffset: '0_26', hasPending: false },
      ],
      leaseTtlMs: 1000,
    });
  });

  it('sends acks, heartbeats and releases as PROTOCOL.md 7.2 shows them', () => {
    const wake = { wakeId: 'w_1', generation: 7 };
    expect(JSON.stringify(ackToWire(wake, [{ stream: 'events/a', offset: '0_84' }], true))).toBe(
      '{"wake_id":"w_1","generation":7,"acks":[{"stream":"events/a","offset":"0_84"}],"done":true}',
    );
    expect(JSON.stringify(ackToWire(wake, [], false))).toBe('{"wake_id":"w_1","generation":7}');
    expect(JSON.stringify(releaseToWire(wake))).toBe('{"wake_id":"w_1","generation":7}');
    expect(ackResultFromWire({ ok: true, next_wake: true }, URL_)).toEqual({ nextWake: true });
    expect(ackResultFromWire({ ok: true }, URL_)).toEqual({ nextWake: false });
  });

  it('reads wake events and ignores other messages of a shared wake stream', () => {
    expect(
      wakeEventFromWire({ type: 'wake', subscription_id: 's1', stream: 'events/a', generation: 1, ts: 1796024983672 }),
    ).toEqual({
      subscriptionId: 's1',
      stream: 'events/a',
      generation: 1,
      ts: 1796024983672,
    });
    expect(wakeEventFromWire({ type: 'note', subscription_id: 's1' })).toBeUndefined();
    expect(wakeEventFromWire('wake')).toBeUndefined();
    expect(wakeEventFromWire(null)).toBeUndefined();
  });
});

describe('validateSubscriptionConfig', () => {
  const invalid = (config: unknown) => () => validateSubscriptionConfig(config as never, 'sub-1');

  it('accepts the two kinds', () => {
    expect(invalid({ type: 'pull-wake', pattern: 'a/*', wakeStream: 'w' })).not.toThrow();
    expect(
      invalid({ type: 'webhook', streams: ['a'], webhook: { url: 'https://h' }, leaseTtlMs: 600_000 }),
    ).not.toThrow();
  });

  it.each([
    [{ type: 'push', pattern: 'a' }, /type must be 'pull-wake' or 'webhook'/],
    [{ type: 'pull-wake', wakeStream: 'w' }, /give a pattern, streams, or both/],
    [{ type: 'pull-wake', streams: [], wakeStream: 'w' }, /give a pattern, streams, or both/],
    [{ type: 'pull-wake', streams: ['a', ''], wakeStream: 'w' }, /streams: the stream path "" must not be empty/],
    [{ type: 'pull-wake', streams: 'a', wakeStream: 'w' }, /streams must be an array/],
    [
      { type: 'pull-wake', streams: ['a', '../b'], wakeStream: 'w' },
      /the stream path "..\/b" has a '.' or '..' segment/,
    ],
    [{ type: 'pull-wake', pattern: 'a/./*', wakeStream: 'w' }, /the pattern "a\/.\/\*" has a '.' or '..' segment/],
    [{ type: 'pull-wake', pattern: '', wakeStream: 'w' }, /the pattern "" must not be empty/],
    [{ type: 'pull-wake', pattern: 'a', wakeStream: '../../admin' }, /wakeStream: the stream path .* segment/],
    [{ type: 'pull-wake', pattern: 'a', wakeStream: 'w\u0000' }, /wakeStream: .* control character/],
    [{ type: 'pull-wake', pattern: 'a', wakeStream: 'https://elsewhere.test/w' }, /wakeStream: .* is a URL/],
    [{ type: 'pull-wake', pattern: 'a' }, /needs wakeStream/],
    [{ type: 'webhook', pattern: 'a' }, /needs webhook.url/],
    [
      { type: 'pull-wake', pattern: 'a', wakeStream: 'w', leaseTtlMs: 999 },
      /leaseTtlMs must be .* from 1000 to 600000, got 999/,
    ],
    [{ type: 'pull-wake', pattern: 'a', wakeStream: 'w', leaseTtlMs: 1500.5 }, /leaseTtlMs/],
  ])('refuses %j', (config, message) => {
    expect(invalid(config)).toThrow(InvalidArgumentError);
    expect(invalid(config)).toThrow(message);
    expect(invalid(config)).toThrow(/Subscription 'sub-1'/);
  });
});
