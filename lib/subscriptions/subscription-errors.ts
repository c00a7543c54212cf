import { DurableStreamError, type DurableStreamErrorInit } from '../errors/durable-stream-error.js';

/** What every subscription error knows besides the response: which subscription. */
export interface SubscriptionErrorInit extends DurableStreamErrorInit {
  /** The subscription the request was about. */
  readonly subscriptionId: string;
}

/** The base of the errors of subscription requests (PROTOCOL.md 6 and 7): each names its subscription. */
export class SubscriptionError extends DurableStreamError {
  override name = 'SubscriptionError';
  /** The subscription the failed request was about. */
  readonly subscriptionId: string;
  constructor(code: string, what: string, init: SubscriptionErrorInit) {
    super(code, what, init);
    this.subscriptionId = init.subscriptionId;
  }
}

/** 404 `SUBSCRIPTION_NOT_FOUND`: no subscription with this id (never created, or deleted). */
export class SubscriptionNotFoundError extends SubscriptionError {
  override name = 'SubscriptionNotFoundError';
  constructor(init: SubscriptionErrorInit) {
    super('SUBSCRIPTION_NOT_FOUND', `Subscription '${init.subscriptionId}' not found (404)`, {
      hint: 'Create it with ensure(config); if it was deleted, any wake of it is lost and its acks are refused',
      ...init,
    });
  }
}

/** 409 `SUBSCRIPTION_ALREADY_EXISTS`: the id is taken by a subscription with another configuration. */
export class SubscriptionConflictError extends SubscriptionError {
  override name = 'SubscriptionConflictError';
  constructor(init: SubscriptionErrorInit) {
    super(
      'SUBSCRIPTION_ALREADY_EXISTS',
      `Subscription '${init.subscriptionId}' already exists with a different configuration (409)`,
      {
        hint:
          "A subscription's configuration cannot change in place: ensure() it with the configuration it has (get() shows it), " +
          'or delete() it and ensure() again (its cursors start over)',
        ...init,
      },
    );
  }
}

/** 400 `WEBHOOK_URL_REJECTED`: the server refused the webhook URL (SSRF protection, PROTOCOL.md 12.8). */
export class WebhookUrlRejectedError extends SubscriptionError {
  override name = 'WebhookUrlRejectedError';
  /** The URL that was refused. */
  readonly webhookUrl: string | undefined;
  constructor(init: SubscriptionErrorInit & { readonly webhookUrl?: string }) {
    super(
      'WEBHOOK_URL_REJECTED',
      `The server rejected webhook URL '${init.webhookUrl ?? '?'}' of subscription '${init.subscriptionId}' (400)`,
      {
        hint: 'Use an https URL on a public host; plain http is accepted only for localhost or 127.0.0.x, in development',
        ...init,
      },
    );
    this.webhookUrl = init.webhookUrl;
  }
}

/** 400 `INVALID_REQUEST`: the server refused the request's body (a configuration it does not accept, for one). */
export class InvalidSubscriptionRequestError extends SubscriptionError {
  override name = 'InvalidSubscriptionRequestError';
  constructor(init: SubscriptionErrorInit) {
    super('INVALID_REQUEST', `The server refused a request of subscription '${init.subscriptionId}' as invalid (400)`, {
      hint: 'The server said why; this request will not succeed if repeated',
      ...init,
    });
  }
}

/** 409 `ALREADY_CLAIMED`: another worker holds the lease. Normal when workers race for a wake. */
export class AlreadyClaimedError extends SubscriptionError {
  override name = 'AlreadyClaimedError';
  /** The worker holding the lease. */
  readonly currentHolder: string | undefined;
  /** The generation of the wake it holds. */
  readonly generation: number | undefined;
  constructor(init: SubscriptionErrorInit & { readonly currentHolder?: string; readonly generation?: number }) {
    super(
      'ALREADY_CLAIMED',
      `Subscription '${init.subscriptionId}' is already claimed by worker '${init.currentHolder ?? '?'}'` +
        `${init.generation === undefined ? '' : ` (generation ${init.generation})`} (409)`,
      { hint: 'Another worker is processing the pending work; claim again on the next wake event', ...init },
    );
    this.currentHolder = init.currentHolder;
    this.generation = init.generation;
  }
}

/** 409 `NO_PENDING_WORK`: every stream is acked up to its tail. Normal for a worker that claims on a timer. */
export class NoPendingWorkError extends SubscriptionError {
  override name = 'NoPendingWorkError';
  constructor(init: SubscriptionErrorInit) {
    super('NO_PENDING_WORK', `Subscription '${init.subscriptionId}' has no pending work (409)`, {
      hint: 'Nothing to claim now; claim again on the next wake event',
      ...init,
    });
  }
}

/** What the errors of a held wake name. */
interface WakeErrorInit extends SubscriptionErrorInit {
  /** The wake the request was about, when known. */
  readonly wakeId?: string;
  /** That wake's generation, when known. */
  readonly generation?: number;
}

const wakeName = (init: WakeErrorInit) =>
  `wake ${init.wakeId ?? '?'}${init.generation === undefined ? '' : ` (generation ${init.generation})`} of subscription '${init.subscriptionId}'`;

/** 409 `FENCED`: the wake is no longer current: its lease expired or it was released or completed. */
export class WakeFencedError extends SubscriptionError {
  override name = 'WakeFencedError';
  /** The fenced wake, when known. */
  readonly wakeId: string | undefined;
  /** The generation the request named, when known. */
  readonly generation: number | undefined;
  constructor(init: WakeErrorInit) {
    super('FENCED', `The ${wakeName(init)} is no longer current (409)`, {
      hint:
        'Its lease expired or it was released, and the server fenced it off (generation fencing): ' +
        'stop working on it; its pending messages go to the next wake',
      ...init,
    });
    this.wakeId = init.wakeId;
    this.generation = init.generation;
  }
}

/** 401 `TOKEN_INVALID` / `TOKEN_EXPIRED`: the wake's bearer token was refused. */
export class WakeTokenError extends SubscriptionError {
  override name = 'WakeTokenError';
  /** The wake whose token was refused, when known. */
  readonly wakeId: string | undefined;
  /** True for `TOKEN_EXPIRED`. */
  readonly expired: boolean;
  constructor(init: WakeErrorInit & { readonly expired: boolean }) {
    super(
      init.expired ? 'TOKEN_EXPIRED' : 'TOKEN_INVALID',
      `The token of the ${wakeName(init)} is ${init.expired ? 'expired' : 'invalid'} (401)`,
      {
        hint: "Acks, heartbeats and releases carry the wake's own token (the claim's token, or the webhook's callback token); this wake is lost, claim again",
        ...init,
      },
    );
    this.wakeId = init.wakeId;
    this.expired = init.expired;
  }
}

/** 409 `INVALID_OFFSET`: an ack named an unknown stream, regressed a cursor, or went past a tail. Nothing of it was applied. */
export class InvalidAckError extends SubscriptionError {
  override name = 'InvalidAckError';
  constructor(init: WakeErrorInit) {
    super('INVALID_OFFSET', `The server refused an ack of the ${wakeName(init)} (409)`, {
      hint: "Ack only a wake's streams, with offsets read from them: not before the acked offset, not past the tail",
      ...init,
    });
  }
}

/** The worker's own clock: no heartbeat renewed the lease before it ran out, so another worker may hold the wake now. */
export class LeaseExpiredError extends SubscriptionError {
  override name = 'LeaseExpiredError';
  /** The wake whose lease ran out. */
  readonly wakeId: string;
  /** That wake's generation. */
  readonly generation: number;
  constructor(
    init: WakeErrorInit & { readonly wakeId: string; readonly generation: number; readonly leaseTtlMs: number },
  ) {
    super('LEASE_EXPIRED', `No heartbeat renewed the lease on the ${wakeName(init)} within ${init.leaseTtlMs} ms`, {
      hint:
        'The handler was stopped: the server may have handed the wake to another worker. ' +
        'Check the network to the server; a longer leaseTtlMs tolerates longer outages',
      ...init,
    });
    this.wakeId = init.wakeId;
    this.generation = init.generation;
  }
}

/** Whether `error` means the wake's lease is gone: fenced, token refused, subscription deleted, or lease run out. */
export function isLeaseLost(error: unknown): boolean {
  return (
    error instanceof WakeFencedError ||
    error instanceof WakeTokenError ||
    error instanceof SubscriptionNotFoundError ||
    error instanceof LeaseExpiredError
  );
}
