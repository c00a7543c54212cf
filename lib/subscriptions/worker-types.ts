import type { Observable, ObservableInput } from 'rxjs';
import type { RequestOptions } from '../http/stream-context.js';
import type { LiveMode } from '../read/read-options.js';
import type { JsonBatch } from '../read/chunk.js';
import type { Ack, PendingStream } from './subscription-types.js';

/**
 * One wake as a handler sees it: the streams with pending messages, a way
 * to read them, and a signal that aborts when the lease is lost or the
 * worker stops. The same shape for pull-wake workers and webhook receivers.
 */
export interface Wake {
  /** The subscription this wake belongs to. */
  readonly subscriptionId: string;
  /** The wake's id, unique per subscription. */
  readonly wakeId: string;
  /** The wake's generation (fencing, PROTOCOL.md 7.3). */
  readonly generation: number;
  /** The lease the worker keeps renewing while the handler runs. */
  readonly leaseTtlMs: number;
  /** The streams with messages after their acked offset. */
  readonly pending: readonly PendingStream[];
  /** Every stream of the subscription, pending or not. */
  readonly streams: readonly PendingStream[];
  /** Aborted when the lease is lost or the worker is unsubscribed: for handlers written with promises. */
  readonly signal: AbortSignal;
  /**
   * Reads the pending messages of `path` (one of `streams`): from its acked
   * offset to its tail as the wake saw it (the last batch may run past it).
   * Ack a batch with `{ stream: path, offset: batch.offset }`.
   */
  readJson<T = unknown>(path: string, options?: RequestOptions): Observable<JsonBatch<T>>;
}

/**
 * Processes one wake. Returns (or yields, as an async generator) the acks
 * of what it processed: each is sent with the next heartbeat, so progress
 * survives a lost lease. When it completes, every pending stream it did not
 * ack is acked at the wake's tail offset (as a webhook's `{ done: true }`
 * does) and the wake is completed with `done`. An error releases the wake.
 */
export type WakeHandler = (wake: Wake) => ObservableInput<Ack>;

/** A wake without its token: safe to log. */
export interface WakeInfo {
  /** The subscription this wake belongs to. */
  readonly subscriptionId: string;
  /** The wake's id, unique per subscription. */
  readonly wakeId: string;
  /** The wake's generation (fencing, PROTOCOL.md 7.3). */
  readonly generation: number;
  /** Every stream of the subscription as the wake saw it. */
  readonly streams: readonly PendingStream[];
}

/** The handler finished and `done` was accepted. */
export interface WakeCompleted {
  /** Tells the outcome kinds apart. */
  readonly kind: 'completed';
  /** The wake this outcome is about. */
  readonly wake: WakeInfo;
  /** What was acked, one entry per stream. */
  readonly acks: readonly Ack[];
  /** The server had more work and issued a new wake. */
  readonly nextWake: boolean;
}

/** The lease was lost (fenced, token refused, subscription deleted, or no renewal in time): the handler was stopped and nothing more was sent. */
export interface WakeLost {
  /** Tells the outcome kinds apart. */
  readonly kind: 'lost';
  /** The wake this outcome is about. */
  readonly wake: WakeInfo;
  /** Why the lease was lost (a `SubscriptionError`, e.g. `WakeFencedError` or `LeaseExpiredError`). */
  readonly error: Error;
}

/** The handler failed (or an ack was refused): the wake was released for another attempt. */
export interface WakeFailed {
  /** Tells the outcome kinds apart. */
  readonly kind: 'failed';
  /** The wake this outcome is about. */
  readonly wake: WakeInfo;
  /** What the handler threw, or the refused ack's error. */
  readonly error: unknown;
}

/** What a worker emits per wake: outcomes are values, not errors. */
export type WakeOutcome = WakeCompleted | WakeLost | WakeFailed;

/** Options of `subscription.process()`. */
export interface ProcessOptions {
  /** This worker's name, unique among the workers of the subscription (shown to others as `currentHolder`). */
  readonly worker: string;
  /** The wake stream; default: the subscription's, learned with one GET. */
  readonly wakeStream?: string;
  /** How often to claim even without a wake event (one can be missed), ms. Default 30 000. */
  readonly claimIntervalMs?: number;
  /** How often to renew the lease while the handler runs, ms. Default: a third of the lease. */
  readonly heartbeatIntervalMs?: number;
  /** How the wake stream is tailed. Default: the read default (`'auto'`). */
  readonly live?: Exclude<LiveMode, false>;
}
