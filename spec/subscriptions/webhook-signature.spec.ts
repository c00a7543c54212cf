import {
  parseWebhookSignature,
  signedPayload,
  WebhookSignatureError,
  withinReplayWindow,
} from '../../lib/subscriptions/webhook-signature';

const SIG = 'x-dM4wAjylHGkh0hpQJdSOmmMn9HVcEu6N79qlxzrfm49QK8ewJ7spG44Lp-vzP1f3Lt3I8BGLHoWRgJgogxAg';

describe('parseWebhookSignature', () => {
  it('parses the header the reference server sends', () => {
    const parsed = parseWebhookSignature(
      `t=1796024996,kid=ds_O75aULM8x1uS2qtL3jYpVNEN64tZSRAnVEH4UL8_jqk,ed25519=${SIG}`,
    );
    expect(parsed).toMatchObject({
      timestamp: '1796024996',
      timestampSeconds: 1796024996,
      kid: 'ds_O75aULM8x1uS2qtL3jYpVNEN64tZSRAnVEH4UL8_jqk',
    });
    expect(parsed.signatures).toHaveLength(1);
    expect(Buffer.from(parsed.signatures[0]).toString('base64url')).toBe(SIG);
    expect(parsed.signatures[0].length).toBe(64);
  });

  it('takes parameters in any order, with spaces, and several signatures', () => {
    const parsed = parseWebhookSignature(`kid=k1, ed25519=${SIG}, t=17, ed25519=AAAA`);
    expect(parsed).toMatchObject({ timestamp: '17', kid: 'k1' });
    expect(parsed.signatures.map((s) => s.length)).toEqual([64, 3]);
  });

  const reason = (header: string | string[] | undefined | null) => {
    try {
      parseWebhookSignature(header);
      return 'parsed';
    } catch (error) {
      expect(error).toBeInstanceOf(WebhookSignatureError);
      return `${(error as WebhookSignatureError).reason}: ${(error as WebhookSignatureError).detail ?? ''}`;
    }
  };

  it.each([
    [undefined, 'missing: '],
    [null, 'missing: '],
    ['', 'missing: '],
    [[], 'missing: '],
    [['t=1,kid=k,ed25519=AAAA', 't=1,kid=k,ed25519=AAAA'], 'malformed: the header appears more than once'],
    ['v1=abc', 'malformed: t must be a Unix timestamp in seconds'],
    [`t=abc,kid=k,ed25519=${SIG}`, 'malformed: t must be a Unix timestamp in seconds'],
    [`t=-5,kid=k,ed25519=${SIG}`, 'malformed: t must be a Unix timestamp in seconds'],
    [`t=1,ed25519=${SIG}`, 'malformed: kid is missing'],
    ['t=1,kid=k', 'malformed: ed25519 is missing'],
    ['t=1,kid=k,ed25519=ab+/', 'malformed: ed25519 is not unpadded base64url'],
    ['t=1,kid=k,ed25519=abc=', 'malformed: ed25519 is not unpadded base64url'],
    ['t=1,kid=k,ed25519=abcde', 'malformed: ed25519 is not unpadded base64url'],
    ['t=1,kid=,ed25519=AAAA', "malformed: 'kid=' is not name=value"],
    ['t=1,kid=k,,ed25519=AAAA', "malformed: '' is not name=value"],
  ])('%j: %s', (header, expected) => {
    expect(reason(header as never)).toBe(expected);
  });
});

describe('signedPayload', () => {
  it('is `<t>.<raw body>`, byte for byte, from text or bytes', () => {
    expect(Buffer.from(signedPayload('17', '{"a":"é"}')).toString()).toBe('17.{"a":"é"}');
    const bytes = new Uint8Array([0x7b, 0xff, 0x7d]);
    expect([...signedPayload('1', bytes)]).toEqual([0x31, 0x2e, 0x7b, 0xff, 0x7d]);
  });
});

describe('withinReplayWindow', () => {
  it('accepts the tolerance either way and nothing beyond it', () => {
    const now = 1_000_000_000;
    expect(withinReplayWindow(1_000_000 - 300, now, 300)).toBe(true);
    expect(withinReplayWindow(1_000_000 + 300, now, 300)).toBe(true);
    expect(withinReplayWindow(1_000_000 - 301, now, 300)).toBe(false);
    expect(withinReplayWindow(1_000_000 + 301, now, 300)).toBe(false);
  });
});
