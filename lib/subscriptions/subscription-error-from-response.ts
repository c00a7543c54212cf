import type { DurableStreamError, ErrorHeaders } from '../errors/durable-stream-error.js';
import { errorFromResponse, type FailedRequest } from '../errors/error-from-response.js';
import {
  AlreadyClaimedError,
  InvalidAckError,
  InvalidSubscriptionRequestError,
  NoPendingWorkError,
  SubscriptionConflictError,
  SubscriptionNotFoundError,
  WakeFencedError,
  WakeTokenError,
  WebhookUrlRejectedError,
} from './subscription-errors.js';
import { SubscriptionRequestTooLargeError } from './subscription-request-too-large-error.js';

/** What a subscription request concerned, for the error to name. */
export interface SubscriptionRequestContext {
  readonly subscriptionId: string;
  /** The wake an ack, heartbeat, callback or release was about. */
  readonly wake?: { readonly wakeId: string; readonly generation: number };
  /** The webhook URL an ensure() sent. */
  readonly webhookUrl?: string;
}

/**
 * Maps a failed subscription response to its typed error. Pure. The error
 * is chosen by the JSON body's `error.code` (several codes share a status:
 * 409 is FENCED, ALREADY_CLAIMED, NO_PENDING_WORK, INVALID_OFFSET or
 * SUBSCRIPTION_ALREADY_EXISTS), not by the status alone. A body without a
 * code (a proxy, a server without subscriptions) gets the generic mapping.
 */
export function subscriptionErrorFromResponse(
  status: number,
  headers: ErrorHeaders,
  bodyText: string,
  request: FailedRequest,
  context: SubscriptionRequestContext,
): DurableStreamError {
  const body = wireError(bodyText);
  const base = {
    url: request.url,
    status,
    headers,
    detail: body ? body.message : bodyText,
    subscriptionId: context.subscriptionId,
  };
  const wake = { ...base, ...context.wake };
  switch (body?.code) {
    case 'SUBSCRIPTION_NOT_FOUND':
      return new SubscriptionNotFoundError(base);
    case 'SUBSCRIPTION_ALREADY_EXISTS':
      return new SubscriptionConflictError(base);
    case 'WEBHOOK_URL_REJECTED':
      return new WebhookUrlRejectedError({ ...base, webhookUrl: context.webhookUrl });
    case 'INVALID_REQUEST':
      return new InvalidSubscriptionRequestError(base);
    case 'ALREADY_CLAIMED':
      return new AlreadyClaimedError({ ...base, currentHolder: body.currentHolder, generation: body.generation });
    case 'NO_PENDING_WORK':
      return new NoPendingWorkError(base);
    case 'FENCED':
      return new WakeFencedError(wake);
    case 'TOKEN_INVALID':
    case 'TOKEN_EXPIRED':
      return new WakeTokenError({ ...wake, expired: body.code === 'TOKEN_EXPIRED' });
    case 'INVALID_OFFSET':
      return new InvalidAckError(wake);
    default:
      // Node answers 431 (and some proxies 414) to a request line or headers over its limit, before any route runs.
      if (status === 431 || status === 414) return new SubscriptionRequestTooLargeError(base);
      return errorFromResponse(status, headers, bodyText, request);
  }
}

interface WireError {
  readonly code: string;
  readonly message: string | undefined;
  readonly currentHolder: string | undefined;
  readonly generation: number | undefined;
}

/** `{ "error": { "code", "message", "current_holder", "generation" } }`, or undefined when the body is not that. */
function wireError(bodyText: string): WireError | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(bodyText);
  } catch {
    return undefined;
  }
  const error = (parsed as { error?: unknown } | null)?.error as Record<string, unknown> | null | undefined;
  if (error === null || typeof error !== 'object' || typeof error['code'] !== 'string') return undefined;
  const text = (value: unknown) => (typeof value === 'string' ? value : undefined);
  return {
    code: error['code'],
    message: text(error['message']),
    currentHolder: text(error['current_holder']),
    generation: typeof error['generation'] === 'number' ? error['generation'] : undefined,
  };
}
