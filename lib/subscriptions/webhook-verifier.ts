import { InvalidArgumentError } from '../errors/client-errors.js';
import { defaultTransport } from '../transport/default-transport.js';
import type { HttpTransport } from '../transport/http-transport.js';
import { JwksCache } from './jwks-cache.js';
import { fetchJwks } from './jwks-fetch.js';
import type { WebhookNotification } from './subscription-types.js';
import {
  parseWebhookSignature,
  signedPayload,
  WebhookSignatureError,
  withinReplayWindow,
} from './webhook-signature.js';
import { notificationFromWire, parseJsonBody } from './wire.js';

/** Options of a {@link WebhookVerifier}. */
export interface WebhookVerifierOptions {
  /** The server's key set: a subscription's `webhook.signing.jwksUrl`, or `{baseUrl}/__ds/jwks.json`. */
  readonly jwksUrl: string;
  /** The replay window: how far a signature's timestamp may be from now, either way, in seconds. Default 300. */
  readonly toleranceSeconds?: number;
  /** Fetches the key set. Default: the default transport (`fetch`). */
  readonly transport?: HttpTransport;
  /** Longest time for the whole key-set fetch (redirects and body included), ms. Default 10 000. */
  readonly timeoutMs?: number;
  /** The largest key set taken, bytes. Default 65 536 (a key is under 1 KiB). */
  readonly maxKeySetBytes?: number;
  /** How long a failed key-set fetch is answered from memory (its error) before the next try, ms. Default 5 000. */
  readonly failureCacheMs?: number;
  /** How long a key set is kept when its response has no `Cache-Control: max-age`, ms. Default 300 000. */
  readonly defaultMaxAgeMs?: number;
  /** Shortest time between two key-set fetches caused by unknown key ids, ms. Default 10 000. */
  readonly refetchCooldownMs?: number;
  /** The clock, ms since the epoch. Default `Date.now`. */
  readonly now?: () => number;
  /**
   * The subscriptions this receiver serves: a verified delivery for another
   * one is refused (PROTOCOL.md 12.10, an endpoint shared by several). Default: any.
   */
  readonly subscriptionIds?: readonly string[];
}

/**
 * Verifies webhook deliveries (PROTOCOL.md 7.1, 12.10): the Ed25519
 * signature over `<timestamp>.<raw body>` with the server's key named by
 * `kid`, and the timestamp within the replay window. Keys come from the
 * server's JWKS, cached as its `Cache-Control` says and fetched once more
 * for an unknown `kid`. Verify the raw body exactly as received.
 *
 * ```ts
 * const verifier = new WebhookVerifier({ jwksUrl: 'https://streams.example.com/v1/stream/__ds/jwks.json' });
 * const notification = await verifier.verify(rawBody, req.headers['webhook-signature']);
 * ```
 */
export class WebhookVerifier {
  private readonly keys: JwksCache;
  private readonly toleranceSeconds: number;
  private readonly now: () => number;
  private readonly subscriptionIds: ReadonlySet<string> | undefined;

  constructor(options: WebhookVerifierOptions) {
    // Checked as unknown: callers in plain JavaScript are not held to the types.
    const jwksUrl = (options as Partial<WebhookVerifierOptions> | undefined)?.jwksUrl;
    if (typeof jwksUrl !== 'string' || !/^https?:\/\//i.test(jwksUrl)) {
      throw new InvalidArgumentError(
        `WebhookVerifier needs jwksUrl, the absolute http(s) URL of the server's key set, got ${JSON.stringify(jwksUrl)}`,
      );
    }
    this.toleranceSeconds = positive(options.toleranceSeconds ?? 300, 'toleranceSeconds');
    this.now = options.now ?? Date.now;
    this.subscriptionIds = options.subscriptionIds === undefined ? undefined : new Set(options.subscriptionIds);
    const fetchOptions = {
      transport: options.transport ?? defaultTransport(),
      timeoutMs: positive(options.timeoutMs ?? 10_000, 'timeoutMs'),
      maxBytes: positive(options.maxKeySetBytes ?? 65_536, 'maxKeySetBytes'),
    };
    this.keys = new JwksCache({
      load: () => fetchJwks(jwksUrl, fetchOptions),
      now: this.now,
      defaultMaxAgeMs: positive(options.defaultMaxAgeMs ?? 300_000, 'defaultMaxAgeMs', true),
      refetchCooldownMs: positive(options.refetchCooldownMs ?? 10_000, 'refetchCooldownMs', true),
      failureCacheMs: positive(options.failureCacheMs ?? 5_000, 'failureCacheMs', true),
      url: jwksUrl,
    });
  }

  /**
   * Resolves to the delivery's notification when `signatureHeader` signs
   * `rawBody`; rejects with {@link WebhookSignatureError} when it does not
   * (answer 401), or with the fetch's error when the key set could not be
   * fetched (answer 5xx: the server retries the delivery).
   */
  async verify(
    rawBody: string | Uint8Array,
    signatureHeader: string | readonly string[] | null | undefined,
  ): Promise<WebhookNotification> {
    if (typeof rawBody !== 'string' && !(rawBody instanceof Uint8Array)) {
      throw new InvalidArgumentError(
        'verify(rawBody, header) needs the raw request body as a string or bytes, before any JSON parsing',
      );
    }
    const signature = parseWebhookSignature(signatureHeader);
    if (!withinReplayWindow(signature.timestampSeconds, this.now(), this.toleranceSeconds)) {
      throw new WebhookSignatureError(
        'stale',
        `t=${signature.timestamp}, now ${Math.floor(this.now() / 1000)}, window ±${this.toleranceSeconds} s`,
      );
    }
    const key = await this.keys.key(signature.kid);
    if (key === undefined) throw new WebhookSignatureError('unknown-key', `kid ${signature.kid}`);
    const payload = signedPayload(signature.timestamp, rawBody);
    for (const candidate of signature.signatures) {
      if (await globalThis.crypto.subtle.verify({ name: 'Ed25519' }, key, candidate, payload)) {
        const text = typeof rawBody === 'string' ? rawBody : new TextDecoder().decode(rawBody);
        const notification = notificationFromWire(parseJsonBody(text, 'webhook notification', ''), '');
        if (this.subscriptionIds && !this.subscriptionIds.has(notification.subscriptionId)) {
          throw new WebhookSignatureError('unexpected-subscription', `subscription_id ${notification.subscriptionId}`);
        }
        return notification;
      }
    }
    throw new WebhookSignatureError('bad-signature');
  }
}

function positive(value: number, name: string, zeroAllowed = false): number {
  if (!(Number.isFinite(value) && (zeroAllowed ? value >= 0 : value > 0))) {
    throw new InvalidArgumentError(
      `WebhookVerifier ${name} must be a ${zeroAllowed ? 'non-negative' : 'positive'} number, got ${value}`,
    );
  }
  return value;
}
