import type { Offset } from '../protocol/offset.js';

/** How a subscription wakes its workers: a signed webhook, or events on a wake stream workers tail. */
export type SubscriptionType = 'pull-wake' | 'webhook';

/**
 * What `ensure()` creates or re-confirms (PROTOCOL.md 6.2). Stream paths are
 * relative to the client's `baseUrl` (the server's stream root).
 */
export interface SubscriptionConfig {
  readonly type: SubscriptionType;
  /** Glob over stream paths: `*` matches one segment, `**` zero or more. */
  readonly pattern?: string;
  /** Explicit stream paths, in addition to `pattern`. At least one of the two is required. */
  readonly streams?: readonly string[];
  /** Pull-wake only, required: the (JSON) stream the server writes wake events to. */
  readonly wakeStream?: string;
  /** Webhook only, required: where wake notifications are POSTed (https, or http on localhost for development). */
  readonly webhook?: { readonly url: string };
  /** How long a worker's lease lasts without a heartbeat, ms: 1 000 to 600 000. Server default 30 000. */
  readonly leaseTtlMs?: number;
  readonly description?: string;
}

/** How a stream belongs to a subscription: matched by its pattern, or added explicitly. */
export type SubscriptionLinkType = 'glob' | 'explicit';

/** One stream of a subscription and its cursor. */
export interface SubscriptionStream {
  readonly path: string;
  readonly linkType: SubscriptionLinkType;
  /** The last processed offset, inclusive (`'-1'`: nothing processed yet). */
  readonly ackedOffset: Offset;
}

/** Where a webhook receiver finds the server's signing keys. */
export interface WebhookSigning {
  readonly alg: string;
  /** The key signing now; verify each delivery with the `kid` of its own header. */
  readonly kid: string;
  readonly jwksUrl: string;
}

/** A subscription as the server describes it (PROTOCOL.md 6.3). */
export interface Subscription {
  readonly id: string;
  readonly type: SubscriptionType;
  readonly pattern: string | undefined;
  readonly streams: readonly SubscriptionStream[];
  readonly wakeStream: string | undefined;
  readonly webhook: { readonly url: string; readonly signing: WebhookSigning | undefined } | undefined;
  readonly leaseTtlMs: number;
  readonly createdAt: string;
  /** `'failed'` while a webhook delivery is being retried. */
  readonly status: string;
  readonly description: string | undefined;
}

/** What `ensure()` emits: whether the server created the subscription (201) or re-confirmed it (200). */
export interface EnsureResult {
  readonly created: boolean;
  readonly subscription: Subscription;
}

/** A stream of a wake: what is processed so far and where its tail stood. */
export interface PendingStream {
  readonly path: string;
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
  readonly wakeId: string;
  readonly generation: number;
  /** The bearer token of this wake's control requests (claim token or webhook callback token). */
  readonly token: string;
}

/** A claimed pull-wake (PROTOCOL.md 7.2): hold the lease with heartbeats, ack, then complete with `done`. */
export interface WakeClaim extends WakeRef {
  readonly streams: readonly PendingStream[];
  readonly leaseTtlMs: number;
}

/** One processed position: everything in `stream` up to `offset` (inclusive) is done. */
export interface Ack {
  /** The stream's path, as in the wake's streams. */
  readonly stream: string;
  readonly offset: Offset;
}

/** What an ack (or heartbeat, or webhook callback) answers. */
export interface AckResult {
  /** After `done`: more work was pending, so the server issued a new wake at once. */
  readonly nextWake: boolean;
}

/** A wake event a pull-wake subscription writes to its wake stream. */
export interface WakeEvent {
  readonly subscriptionId: string;
  /** The stream whose append caused the wake. */
  readonly stream: string;
  readonly generation: number;
  /** Server time, ms since the epoch. */
  readonly ts: number;
}

/** A verified webhook delivery (PROTOCOL.md 7.1). */
export interface WebhookNotification {
  readonly subscriptionId: string;
  readonly wakeId: string;
  readonly generation: number;
  readonly streams: readonly PendingStream[];
  /** Where this wake's acks, heartbeats and `done` go. */
  readonly callbackUrl: string;
  /** The bearer token for `callbackUrl`, valid for this wake's generation only. */
  readonly callbackToken: string;
}
