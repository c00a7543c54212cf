/**
 * durable-streams-rx/subscriptions: the protocol's subscriptions (PROTOCOL.md
 * 6 and 7): management, pull-wake workers and webhook receivers. A Node-side
 * entry point of its own, which browser bundles never carry.
 */
export { subscription, SubscriptionHandle, type EnsureOptions, type AckOptions } from './subscription-handle.js';
export type {
  Ack,
  AckResult,
  EnsureResult,
  PendingStream,
  Subscription,
  SubscriptionConfig,
  SubscriptionLinkType,
  SubscriptionStream,
  SubscriptionType,
  WakeClaim,
  WakeEvent,
  WakeRef,
  WebhookNotification,
  WebhookSigning,
} from './subscription-types.js';
export type {
  ProcessOptions,
  Wake,
  WakeCompleted,
  WakeFailed,
  WakeHandler,
  WakeInfo,
  WakeLost,
  WakeOutcome,
} from './worker-types.js';
export {
  AlreadyClaimedError,
  InvalidAckError,
  InvalidSubscriptionRequestError,
  isLeaseLost,
  LeaseExpiredError,
  NoPendingWorkError,
  SubscriptionConflictError,
  SubscriptionError,
  SubscriptionNotFoundError,
  WakeFencedError,
  WakeTokenError,
  WebhookUrlRejectedError,
} from './subscription-errors.js';
export { SubscriptionRequestTooLargeError } from './subscription-request-too-large-error.js';
export { WebhookVerifier, type WebhookVerifierOptions } from './webhook-verifier.js';
export { WebhookSignatureError, type WebhookSignatureFailure } from './webhook-signature.js';
export { WebhookKeySetError, type WebhookKeySetFailure } from './webhook-key-set-error.js';
export {
  webhookReceiver,
  WebhookReceiver,
  type WebhookReceiverOptions,
  type WebhookRefusal,
  type WebhookResponse,
} from './webhook-receiver.js';
