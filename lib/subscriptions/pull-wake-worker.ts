import {
  catchError,
  concatMap,
  defer,
  EMPTY,
  exhaustMap,
  expand,
  filter,
  map,
  merge,
  of,
  switchMap,
  throwError,
  timer,
  type Observable,
  type SchedulerLike,
} from 'rxjs';
import { InvalidArgumentError } from '../errors/client-errors.js';
import { backoffDelay } from '../retry/retry-with-backoff.js';
import type { RetryConfig } from '../retry/retry-config.js';
import { runWake, type WakeControl } from './run-wake.js';
import { checkName } from './subscription-names.js';
import { AlreadyClaimedError, NoPendingWorkError } from './subscription-errors.js';
import type { WakeClaim, WakeEvent } from './subscription-types.js';
import type { ProcessOptions, Wake, WakeHandler, WakeOutcome } from './worker-types.js';

/** What a pull-wake worker needs of its subscription. */
export interface PullWakeSubscription {
  readonly id: string;
  /** The subscription's control URL, for errors. */
  readonly url: string;
  readonly scheduler: SchedulerLike;
  /** Backoff after failed wakes. */
  readonly retry: RetryConfig;
  claim(worker: string): Observable<WakeClaim>;
  readonly control: WakeControl;
  /** The wake stream the subscription was configured with. */
  wakeStream(): Observable<string>;
  /** Tails `wakeStream` from now: its wake events, of any subscription. */
  wakeEvents(wakeStream: string): Observable<WakeEvent>;
  /** The handler's view of a claimed wake. */
  wakeFor(claim: WakeClaim, signal: AbortSignal): Wake;
}

const DEFAULT_CLAIM_INTERVAL_MS = 30_000;

/** A wake's outcome and how many wakes in a row have failed. */
interface Step {
  readonly outcome: WakeOutcome;
  readonly failures: number;
}

/**
 * The pull-wake worker (PROTOCOL.md 7.2): on start, on every wake event of
 * its subscription and every `claimIntervalMs` (a wake event can be
 * missed), it drains: claims, runs the handler on the wake under
 * {@link runWake}, and claims again until the server answers
 * `ALREADY_CLAIMED` or `NO_PENDING_WORK` (both normal). Signals arriving
 * while it drains are dropped: the drain claims until nothing is left.
 * After a failed wake the next claim waits with backoff, so a message
 * that always fails cannot spin the workers. Errors only when the worker
 * cannot go on (the subscription is gone, the server unreachable).
 */
export function pullWakeWorker(
  subscription: PullWakeSubscription,
  options: ProcessOptions,
  handler: WakeHandler,
): Observable<WakeOutcome> {
  validate(options, handler, subscription.id);
  return defer(() => {
    const { scheduler } = subscription;
    const claimEvery = options.claimIntervalMs ?? DEFAULT_CLAIM_INTERVAL_MS;

    const claimOnce = (failures: number): Observable<Step> =>
      defer(() => {
        const leaseStartedAt = scheduler.now();
        return subscription.claim(options.worker).pipe(
          catchError((error: unknown) =>
            error instanceof AlreadyClaimedError || error instanceof NoPendingWorkError
              ? EMPTY
              : throwError(() => error),
          ),
          concatMap((claim) =>
            runWake({ ...claim, subscriptionId: subscription.id, leaseStartedAt }, subscription.control, handler, {
              scheduler,
              url: subscription.url,
              heartbeatIntervalMs: options.heartbeatIntervalMs,
              wakeFor: (signal) => subscription.wakeFor(claim, signal),
            }),
          ),
          map((outcome) => ({ outcome, failures: outcome.kind === 'failed' ? failures + 1 : 0 })),
        );
      });

    const drain = claimOnce(0).pipe(
      expand(
        ({ failures }) =>
          failures === 0
            ? claimOnce(0)
            : timer(backoffDelay(subscription.retry, failures, undefined), scheduler).pipe(
                concatMap(() => claimOnce(failures)),
              ),
        1,
      ),
      map((step) => step.outcome),
    );

    const wakeStream = options.wakeStream !== undefined ? of(options.wakeStream) : subscription.wakeStream();
    return wakeStream.pipe(
      switchMap((path) =>
        merge(
          of('start'),
          subscription.wakeEvents(path).pipe(filter((event) => event.subscriptionId === subscription.id)),
          timer(claimEvery, claimEvery, scheduler),
        ),
      ),
      exhaustMap(() => drain),
    );
  });
}

function validate(options: ProcessOptions, handler: WakeHandler, id: string): void {
  const fail = (message: string): never => {
    throw new InvalidArgumentError(`process() on subscription '${id}': ${message}`);
  };
  if ((options as unknown) === null || typeof (options as unknown) !== 'object')
    fail('options must be an object with the worker name');
  const where = `process() on subscription '${id}'`;
  checkName('worker name', options.worker, `${where}, options.worker`);
  if (options.wakeStream !== undefined) checkName('stream path', options.wakeStream, `${where}, options.wakeStream`);
  if (typeof handler !== 'function') fail('handler must be a function (wake) => ObservableInput<Ack>');
  for (const name of ['claimIntervalMs', 'heartbeatIntervalMs'] as const) {
    const value = options[name];
    if (value !== undefined && !(Number.isFinite(value) && value > 0))
      fail(`${name} must be a positive number of ms, got ${value}`);
  }
}
