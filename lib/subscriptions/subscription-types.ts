import type { Offset } from '../protocol/offset.js';

/** How a subscription wakes its workers: a signed webhook, or events on a wake stream workers tail. */
export type SubscriptionType = 'pull-wake' | 'webhook';

/**
 * What `ensure()` creates or re-confirms (PROTOCOL.md 6.2). Stream paths are
 * relative to the client's `baseUrl` (the server's stream root).
 */
export interface SubscriptionConfig {
  /** How workers are woken: `'pull-wake'` (needs `wakeStream`) or `'webhook'` (needs `webhook`). */
  readonly type: SubscriptionType;
  /** Glob over stream paths: `*` matches one segment, `**` zero or more. */
  readonly pattern?: string;
  /** Explicit stream paths, in addition to `pattern`. At least one of the two is required. */
  readonly streams?: readonly string[];
  /** Pull-wake only, required: the (JSON) stream the server writes wake events to. */
  readonly wakeStream?: string;
  /** Webhook only, required: where wake notifications are POSTed (https, or http on localhost for development). */
  readonly webhook?: {
    /** The receiver's URL. */
    readonly url: string;
  };
  /** How long a worker's lease lasts without a heartbeat, ms: 1 000 to 600 000. Server default 30 000. */
  readonly leaseTtlMs?: number;
  /** Free text for people reading the subscription; the server stores it as given. */
  readonly description?: string;
}

/** How a stream belongs to a subscription: matched by its pattern, or added explicitly. */
export type SubscriptionLinkType = 'glob' | 'explicit';

/** One stream of a subscription and its cursor. */
export interface SubscriptionStream {
  /** The stream's path, relative to the server's stream root. */
  readonly path: string;
  /** Whether the stream was matched by the pattern or added explicitly. */
  readonly linkType: SubscriptionLinkType;
  /** The last processed offset, inclusive (`'-1'`: nothing processed yet). */
  readonly ackedOffset: Offset;
}

/** Where a webhook receiver finds the server's signing keys. */
export interface WebhookSigning {
  /** The signature algorithm (`'EdDSA'`, Ed25519). */
  readonly alg: string;
  /** The key signing now; verify each delivery with the `kid` of its own header. */
  readonly kid: string;
  /** Where the server publishes its public keys (a JWKS document). */
  readonly jwksUrl: string;
}

/** A subscription as the server describes it (PROTOCOL.md 6.3). */
export interface Subscription {
  /** The subscription's id, as given to `subscription(client, id)`. */
  readonly id: string;
  /** How its workers are woken. */
  readonly type: SubscriptionType;
  /** Its glob over stream paths, if it has one. */
  readonly pattern: string | undefined;
  /** Every stream it covers, matched or explicit, with its cursor. */
  readonly streams: readonly SubscriptionStream[];
  /** Pull-wake: the stream wake events are written to. */
  readonly wakeStream: string | undefined;
  /** Webhook: where notifications go, and how they are signed. */
  readonly webhook:
    | {
        /** The receiver's URL. */
        readonly url: string;
        /** How deliveries are signed, when the server says. */
        readonly signing: WebhookSigning | undefined;
      }
    | undefined;
  /** How long a worker's lease lasts without a heartbeat, ms. */
  readonly leaseTtlMs: number;
  /** When the server created it (ISO 8601). */
  readonly createdAt: string;
  /** `'failed'` while a webhook delivery is being retried. */
  readonly status: string;
  /** The description given at creation, if any. */
  readonly description: string | undefined;
}

/** What `ensure()` emits: whether the server created the subscription (201) or re-confirmed it (200). */
export interface EnsureResult {
  /** True when the server created the subscription (201), false when it existed with this configuration (200). */
  readonly created: boolean;
  /** The subscription as the server now describes it. */
  readonly subscription: Subscription;
}

/** A stream of a wake: what is processed so far and where its tail stood. */
export interface PendingStream {
  /** The stream's path, relative to the server's stream root. */
  readonly path: string;
  /** Whether the stream was matched by the pattern or added explicitly. */
  readonly linkType: SubscriptionLinkType;
  /** The last processed offset, inclusive: pending messages start after it. */
  readonly ackedOffset: Offset;
  /** The stream's tail when the wake was handed out. */
  readonly tailOffset: Offset;
  /** Whether the stream has messages after `ackedOffset`. */
  readonly hasPending: boolean;
}

/** The identity of one wake: what every ack and release names (generation fencing, PROTOCOL.md 7.3). */
export interface WakeRef {
  /** The wake's id, unique per subscription. */
  readonly wakeId: string;
  /** The wake's generation: a request naming an older one is fenced off (`WakeFencedError`). */
  readonly generation: number;
  /** The bearer token of this wake's control requests (claim token or webhook callback token). */
  readonly token: string;
}

/** A claimed pull-wake (PROTOCOL.md 7.2): hold the lease with heartbeats, ack, then complete with `done`. */
export interface WakeClaim extends WakeRef {
  /** The streams with work, each with its cursor and tail at claim time. */
  readonly streams: readonly PendingStream[];
  /** How long the lease lasts without a heartbeat, ms. */
  readonly leaseTtlMs: number;
}

/** One processed position: everything in `stream` up to `offset` (inclusive) is done. */
export interface Ack {
  /** The stream's path, as in the wake's streams. */
  readonly stream: string;
  /** The last processed offset in that stream, inclusive. */
  readonly offset: Offset;
}

/** What an ack (or heartbeat, or webhook callback) answers. */
export interface AckResult {
  /** After `done`: more work was pending, so the server issued a new wake at once. */
  readonly nextWake: boolean;
}

/** A wake event a pull-wake subscription writes to its wake stream. */
export interface WakeEvent {
  /** The subscription that has work. */
  readonly subscriptionId: string;
  /** The stream whose append caused the wake. */
  readonly stream: string;
  /** The generation a claim will receive. */
  readonly generation: number;
  /** Server time, ms since the epoch. */
  readonly ts: number;
}

/** A verified webhook delivery (PROTOCOL.md 7.1). */
export interface WebhookNotification {
  /** The subscription that has work. */
  readonly subscriptionId: string;
  /** The wake's id: what acks, heartbeats and `done` name. */
  readonly wakeId: string;
  /** The wake's generation (fencing, PROTOCOL.md 7.3). */
  readonly generation: number;
  /** The streams with work, each with its cursor and tail. */
  readonly streams: readonly PendingStream[];
  /** Where this wake's acks, heartbeats and `done` go. */
  readonly callbackUrl: string;
  /** The bearer token for `callbackUrl`, valid for this wake's generation only. */
  readonly callbackToken: string;
}
