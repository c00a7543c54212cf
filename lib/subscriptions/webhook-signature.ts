import { DurableStreamError } from '../errors/durable-stream-error.js';

/** Why a webhook delivery was refused. */
export type WebhookSignatureFailure =
  'missing' | 'malformed' | 'stale' | 'unknown-key' | 'bad-signature' | 'unexpected-subscription';

const WHAT: Record<WebhookSignatureFailure, string> = {
  missing: 'The webhook request has no Webhook-Signature header',
  malformed: 'The Webhook-Signature header is malformed',
  stale: "The webhook signature's timestamp is outside the replay window",
  'unknown-key': "The webhook signature's key is not in the server's key set",
  'bad-signature': 'The webhook signature does not match the body',
  'unexpected-subscription': 'The webhook delivery is for a subscription this receiver does not serve',
};

const HINT: Record<WebhookSignatureFailure, string> = {
  missing: 'Answer 401; only requests signed by the Durable Streams server are deliveries',
  malformed: "Expected 't=<unix seconds>,kid=<key id>,ed25519=<base64url signature>'; answer 401",
  stale: "Answer 401. A replayed delivery, or this machine's clock is off (check NTP)",
  'unknown-key': 'Answer 401. Check jwksUrl: it must be the key set of the server that sends these webhooks',
  'bad-signature':
    'Answer 401. Verify the raw request body, byte for byte as received (before any JSON parsing), with the header as sent',
  'unexpected-subscription':
    "Answer 401. The signature is the server's, but its subscription_id is not one of subscriptionIds: another subscription shares this endpoint",
};

/** A webhook delivery failed verification: do not act on it. */
export class WebhookSignatureError extends DurableStreamError {
  override name = 'WebhookSignatureError';
  /** Which check failed: its `hint` says what to answer and what to look at. */
  readonly reason: WebhookSignatureFailure;
  constructor(reason: WebhookSignatureFailure, detail?: string) {
    super('WEBHOOK_SIGNATURE_INVALID', WHAT[reason], { url: '', hint: HINT[reason], detail });
    this.reason = reason;
  }
}

/** A parsed `Webhook-Signature` header (PROTOCOL.md 7.1). */
export interface WebhookSignature {
  /** The `t` parameter as sent (it is signed as text). */
  readonly timestamp: string;
  /** `timestamp` as Unix seconds. */
  readonly timestampSeconds: number;
  readonly kid: string;
  /** Each `ed25519` value, decoded; one must verify. */
  readonly signatures: readonly Uint8Array<ArrayBuffer>[];
}

const BASE64URL = /^[A-Za-z0-9_-]+$/;
/** The longest header parsed, characters: a genuine one, with a few signatures, is under 400. */
export const MAX_SIGNATURE_HEADER_LENGTH = 4096;
/** The most `ed25519` values tried: each costs a verification, so a header of hundreds would cost a request hundreds. */
export const MAX_SIGNATURES = 8;

/**
 * Parses `t=<timestamp>,kid=<key-id>,ed25519=<base64url-signature>`. Pure.
 * Parameters may come in any order; up to {@link MAX_SIGNATURES} `ed25519`
 * values are allowed (one must verify). A header longer than
 * {@link MAX_SIGNATURE_HEADER_LENGTH}, or with more values, is refused
 * before any decoding or crypto. Throws {@link WebhookSignatureError}
 * (`missing` or `malformed`).
 */
export function parseWebhookSignature(header: string | readonly string[] | null | undefined): WebhookSignature {
  if (header === undefined || header === null || header === '' || (Array.isArray(header) && header.length === 0)) {
    throw new WebhookSignatureError('missing');
  }
  if (typeof header !== 'string') throw new WebhookSignatureError('malformed', 'the header appears more than once');
  if (header.length > MAX_SIGNATURE_HEADER_LENGTH)
    throw new WebhookSignatureError('malformed', `longer than ${MAX_SIGNATURE_HEADER_LENGTH} characters`);
  let timestamp: string | undefined;
  let kid: string | undefined;
  const signatures: Uint8Array<ArrayBuffer>[] = [];
  for (const part of header.split(',')) {
    const at = part.indexOf('=');
    const name = part.slice(0, at).trim();
    const value = part.slice(at + 1).trim();
    if (at < 1 || value === '')
      throw new WebhookSignatureError('malformed', `'${part.trim().slice(0, 40)}' is not name=value`);
    if (name === 't') timestamp = value;
    else if (name === 'kid') kid = value;
    else if (name === 'ed25519') {
      if (signatures.length === MAX_SIGNATURES)
        throw new WebhookSignatureError('malformed', `more than ${MAX_SIGNATURES} ed25519 values`);
      signatures.push(decodeBase64Url(value));
    }
  }
  if (timestamp === undefined || !/^\d{1,15}$/.test(timestamp))
    throw new WebhookSignatureError('malformed', 't must be a Unix timestamp in seconds');
  if (kid === undefined) throw new WebhookSignatureError('malformed', 'kid is missing');
  if (signatures.length === 0) throw new WebhookSignatureError('malformed', 'ed25519 is missing');
  return { timestamp, timestampSeconds: Number(timestamp), kid, signatures };
}

/** The signed bytes: `<timestamp>.<raw body>`, the body exactly as received. */
export function signedPayload(timestamp: string, rawBody: string | Uint8Array): Uint8Array<ArrayBuffer> {
  const encoder = new TextEncoder();
  const prefix = encoder.encode(`${timestamp}.`);
  const body = typeof rawBody === 'string' ? encoder.encode(rawBody) : rawBody;
  const out = new Uint8Array(prefix.length + body.length);
  out.set(prefix, 0);
  out.set(body, prefix.length);
  return out;
}

/** Whether `timestampSeconds` is within `toleranceSeconds` of `nowMs`, either way. */
export function withinReplayWindow(timestampSeconds: number, nowMs: number, toleranceSeconds: number): boolean {
  return Math.abs(nowMs / 1000 - timestampSeconds) <= toleranceSeconds;
}

function decodeBase64Url(value: string): Uint8Array<ArrayBuffer> {
  if (!BASE64URL.test(value) || value.length % 4 === 1)
    throw new WebhookSignatureError('malformed', 'ed25519 is not unpadded base64url');
  const base64 = value.replace(/-/g, '+').replace(/_/g, '/') + '='.repeat((4 - (value.length % 4)) % 4);
  const binary = atob(base64);
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return bytes;
}
