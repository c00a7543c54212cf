import { catchError, concatMap, defer, map, of, type Observable, type SchedulerLike } from 'rxjs';
import { InvalidArgumentError } from '../errors/client-errors.js';
import { isLeaseLost } from './subscription-errors.js';
import { checkName } from './subscription-names.js';
import type { SubscriptionRequests } from './subscription-requests.js';
import type { WebhookNotification } from './subscription-types.js';
import type { WakeClaims } from './wake-claims.js';
import { checkHeartbeat } from './webhook-receiver-options.js';
import type { WebhookRefusal } from './webhook-response.js';

/** Whether a verified delivery runs here: confirmed current (and claimed) with the lease from then, refused, or undecided. */
export type Admission =
  | { readonly kind: 'admitted'; readonly leaseTtlMs: number; readonly leaseStartedAt: number }
  | { readonly kind: 'refused'; readonly reason: WebhookRefusal }
  | { readonly kind: 'failed'; readonly error: unknown };

/** What {@link admitWake} needs of the receiver. */
export interface AdmissionContext {
  /** The subscription's lease, ms. */
  readonly leaseTtl: (subscriptionId: string) => Observable<number>;
  readonly heartbeatIntervalMs: number | undefined;
  /** The claims stream, when instances claim wakes. */
  readonly claims: WakeClaims | undefined;
  readonly scheduler: SchedulerLike;
}

/** The confirmation and the claim are retried briefly: the server delivers again after a 503 anyway. */
export const ADMISSION_RETRY = { maxRetries: 2 } as const;

/**
 * Decides, before anything runs, whether a verified delivery runs here:
 * the lease (learned once per subscription), then a heartbeat on the
 * wake's callback, which the server answers only for its current wake
 * (otherwise FENCED, a refused token or no subscription: `'not-current'`),
 * then the claim in the claims stream, if any (`'claimed-elsewhere'` when
 * another instance's came first). The lease runs from the heartbeat's
 * sending, as the server extended it then. Anything else that fails
 * (the server unreachable, a bad option) is `'failed'`: the delivery is
 * answered 503 and comes again.
 */
export function admitWake(
  notification: WebhookNotification,
  requests: SubscriptionRequests,
  context: AdmissionContext,
): Observable<Admission> {
  const { subscriptionId, wakeId, generation, callbackToken, callbackUrl } = notification;
  return defer(() => {
    checkName('subscription id', subscriptionId, 'webhook notification');
    const claimed = context.claims?.path.replace(/^\/+|\/+$/g, '');
    if (notification.streams.some((stream) => stream.path === claimed))
      throw new InvalidArgumentError(
        `webhookReceiver(): claimStream '${claimed}' is a stream of subscription '${subscriptionId}', ` +
          "so every claim would wake it again: exclude it from the subscription's pattern and streams",
      );
    return context.leaseTtl(subscriptionId);
  }).pipe(
    concatMap((leaseTtlMs) => {
      checkHeartbeat(context.heartbeatIntervalMs, leaseTtlMs, `subscription '${subscriptionId}'`);
      const leaseStartedAt = context.scheduler.now();
      const wake = { wakeId, generation, token: callbackToken };
      return requests.callback(callbackUrl, wake, [], false, { retry: ADMISSION_RETRY }).pipe(
        concatMap(() => context.claims?.claim(notification) ?? of(true)),
        map((won): Admission =>
          won ? { kind: 'admitted', leaseTtlMs, leaseStartedAt } : { kind: 'refused', reason: 'claimed-elsewhere' },
        ),
      );
    }),
    catchError((error: unknown) =>
      of<Admission>(isLeaseLost(error) ? { kind: 'refused', reason: 'not-current' } : { kind: 'failed', error }),
    ),
  );
}
