import { InvalidArgumentError } from '../errors/client-errors.js';
import { MAX_LEASE_TTL_MS, MIN_LEASE_TTL_MS } from './subscription-config.js';
import { checkName } from './subscription-names.js';
import type { WebhookVerifier } from './webhook-verifier.js';
import type { WakeHandler } from './worker-types.js';

/** Options of {@link webhookReceiver}. */
export interface WebhookReceiverOptions {
  /** Processes each wake, as a pull-wake worker's handler does. */
  readonly handler: WakeHandler;
  /** Verifies deliveries. Default: a `WebhookVerifier` on `{baseUrl}/__ds/jwks.json` over the client's transport. */
  readonly verifier?: WebhookVerifier;
  /** The subscriptions' lease, ms (1 000 to 600 000). Default: learned with one GET per subscription (notifications do not carry it). */
  readonly leaseTtlMs?: number;
  /** How often to renew the lease through the callback, ms; shorter than the lease. Default: a third of the lease. */
  readonly heartbeatIntervalMs?: number;
  /** The largest body `listener` reads, bytes. Default 1 MiB. */
  readonly maxBodyBytes?: number;
  /** The longest time `listener` waits for a body once its headers arrived, ms. Default 10 000. */
  readonly bodyTimeoutMs?: number;
  /**
   * A JSON stream (a path under the client's `baseUrl`) where the receiver
   * instances behind one endpoint claim each wake before running it, so a
   * delivery that reaches several of them at once (a load balancer's
   * retry, a replay) runs on one only. Created on first use; needs the
   * client's credentials to create and append to it; must not be linked
   * to the subscriptions it serves. Without it, a copy of a delivery that
   * arrives while another instance still runs that wake runs too
   * (at-least-once); copies of a wake that ended are refused either way.
   */
  readonly claimStream?: string;
}

/** Checks the options when the receiver is made, naming the one at fault. */
export function checkReceiverOptions(options: WebhookReceiverOptions): void {
  const fail = (message: string): never => {
    throw new InvalidArgumentError(`webhookReceiver(): ${message}`);
  };
  // Checked as unknown: callers in plain JavaScript are not held to the types.
  const raw = options as unknown as Record<string, unknown> | null;
  if (raw === null || typeof raw !== 'object') return fail('options must be an object with a handler');
  if (typeof raw['handler'] !== 'function') fail('options.handler must be a function (wake) => ObservableInput<Ack>');
  const verifier = raw['verifier'] as { verify?: unknown } | null | undefined;
  if (verifier !== undefined && typeof verifier?.verify !== 'function')
    fail('options.verifier must be a WebhookVerifier');
  const { leaseTtlMs, heartbeatIntervalMs, maxBodyBytes, bodyTimeoutMs } = options;
  if (
    leaseTtlMs !== undefined &&
    !(Number.isInteger(leaseTtlMs) && leaseTtlMs >= MIN_LEASE_TTL_MS && leaseTtlMs <= MAX_LEASE_TTL_MS)
  )
    fail(`leaseTtlMs must be a whole number of ms from ${MIN_LEASE_TTL_MS} to ${MAX_LEASE_TTL_MS}, got ${leaseTtlMs}`);
  for (const [name, value] of [
    ['heartbeatIntervalMs', heartbeatIntervalMs],
    ['maxBodyBytes', maxBodyBytes],
    ['bodyTimeoutMs', bodyTimeoutMs],
  ] as const) {
    if (value !== undefined && !(typeof value === 'number' && Number.isFinite(value) && value > 0))
      fail(`${name} must be a positive finite number, got ${String(value)}`);
  }
  if (leaseTtlMs !== undefined) checkHeartbeat(heartbeatIntervalMs, leaseTtlMs, 'every subscription');
  if (options.claimStream !== undefined)
    checkName('stream path', options.claimStream, 'webhookReceiver(), claimStream');
}

/** A heartbeat interval no shorter than the lease ends every wake 'lost': refused, naming both. */
export function checkHeartbeat(heartbeatIntervalMs: number | undefined, leaseTtlMs: number, whose: string): void {
  if (heartbeatIntervalMs !== undefined && !(heartbeatIntervalMs < leaseTtlMs)) {
    throw new InvalidArgumentError(
      `webhookReceiver(): heartbeatIntervalMs (${heartbeatIntervalMs}) must be shorter than the lease of ${whose} ` +
        `(${leaseTtlMs} ms), or every wake would end 'lost' before its first heartbeat`,
    );
  }
}
