import {
  catchError,
  concat,
  concatMap,
  connect,
  defer,
  EMPTY,
  endWith,
  expand,
  filter,
  finalize,
  from,
  ignoreElements,
  map,
  merge,
  of,
  race,
  ReplaySubject,
  switchMap,
  take,
  takeWhile,
  tap,
  throwError,
  timer,
  type Observable,
  type SchedulerLike,
} from 'rxjs';
import { InvalidArgumentError } from '../errors/client-errors.js';
import { isRetryable } from '../errors/durable-stream-error.js';
import { AckLedger } from './ack-ledger.js';
import { InvalidAckError, isLeaseLost, LeaseExpiredError } from './subscription-errors.js';
import type { Ack, AckResult, PendingStream, WakeRef } from './subscription-types.js';
import type { Wake, WakeCompleted, WakeHandler, WakeInfo, WakeOutcome } from './worker-types.js';

/** The control requests of a held wake: pull-wake's ack and release, or a webhook's callback. */
export interface WakeControl {
  /** An ack (a heartbeat when `acks` is empty and `done` false). */
  ack(wake: WakeRef, acks: readonly Ack[], done: boolean): Observable<AckResult>;
  /** Gives the wake back without completing it; EMPTY where the protocol has no release (webhooks). */
  release(wake: WakeRef): Observable<void>;
}

/** A wake this worker holds the lease of. */
export interface HeldWake extends WakeRef {
  readonly subscriptionId: string;
  readonly streams: readonly PendingStream[];
  readonly leaseTtlMs: number;
  /** When the request that started the lease was sent (scheduler time): the lease runs from here. */
  readonly leaseStartedAt: number;
}

export interface RunWakeOptions {
  readonly scheduler: SchedulerLike;
  /** Default: a third of the lease. */
  readonly heartbeatIntervalMs?: number;
  /** The control URL, for errors. */
  readonly url: string;
  /** Makes the handler's view of the wake. */
  readonly wakeFor: (signal: AbortSignal) => Wake;
}

/**
 * What the lease loop emits: the lease was renewed by a request sent at
 * `at`; a request failed with a retryable error even after its retries (a
 * missed heartbeat: the lease deadline decides); or `done` was accepted.
 */
type LeaseStep =
  | { readonly kind: 'renewed'; readonly at: number }
  | { readonly kind: 'missed' }
  | { readonly kind: 'completed'; readonly outcome: WakeCompleted };

/**
 * Runs `handler` on a held wake and keeps its lease (PROTOCOL.md 7.2, 7.3):
 *
 * - a heartbeat (an ack carrying the acks not yet sent) goes out one
 *   interval after the previous control request was answered, so control
 *   requests are serialized and a heartbeat never overtakes `done`;
 * - when the handler completes, `done` goes out (after any heartbeat in
 *   flight) with the rest of the acks;
 * - the lease runs `leaseTtlMs` from the sending of the last request that
 *   renewed it; a request that fails with a retryable error (after its own
 *   retries) is a missed heartbeat, and the next follows an interval later;
 *   if the lease runs out, or the server fences the wake, the handler
 *   is stopped, nothing more is sent, and the outcome is `'lost'`;
 * - a handler error (or a refused ack) sends the acks not yet sent, then
 *   releases the wake: `'failed'`;
 * - unsubscribing stops the handler and releases the wake.
 *
 * The handler starts only within the lease: a wake handed over after its
 * lease ran out (a slow claim answer) is `'lost'` at once. A heartbeat
 * interval no shorter than the lease would lose every wake: it releases the
 * wake and errors with `InvalidArgumentError`, running nothing.
 *
 * Emits exactly one outcome, then completes (or errors for that option).
 */
export function runWake(
  held: HeldWake,
  control: WakeControl,
  handler: WakeHandler,
  options: RunWakeOptions,
): Observable<WakeOutcome> {
  return defer(() => {
    const { scheduler } = options;
    const leaseExpired = () =>
      new LeaseExpiredError({
        url: options.url,
        subscriptionId: held.subscriptionId,
        wakeId: held.wakeId,
        generation: held.generation,
        leaseTtlMs: held.leaseTtlMs,
      });
    const info: WakeInfo = {
      subscriptionId: held.subscriptionId,
      wakeId: held.wakeId,
      generation: held.generation,
      streams: held.streams,
    };
    const heartbeatEvery = options.heartbeatIntervalMs ?? held.leaseTtlMs / 3;
    if (!(heartbeatEvery < held.leaseTtlMs)) {
      // Every wake would end 'lost' before its first heartbeat: refuse the configuration, not each wake.
      const error = new InvalidArgumentError(
        `heartbeatIntervalMs (${heartbeatEvery}) must be shorter than the lease of subscription '${held.subscriptionId}' ` +
          `(${held.leaseTtlMs} ms): the lease would run out before the first heartbeat`,
        options.url,
      );
      return concat(
        control.release(held).pipe(
          ignoreElements(),
          catchError(() => EMPTY),
        ),
        throwError(() => error),
      );
    }
    if (scheduler.now() >= held.leaseStartedAt + held.leaseTtlMs) {
      // The answer that handed us the wake came after its lease ran out: another worker may hold it now.
      return of<WakeOutcome>({ kind: 'lost', wake: info, error: leaseExpired() });
    }
    const ledger = new AckLedger(held.streams, `wake ${held.wakeId} of subscription '${held.subscriptionId}'`);
    const abort = new AbortController();

    const send = (command: 'heartbeat' | 'done'): Observable<LeaseStep> =>
      defer((): Observable<LeaseStep> => {
        const at = scheduler.now();
        if (command === 'heartbeat') {
          const acks = ledger.unsent();
          return control.ack(held, acks, false).pipe(map(() => (ledger.markSent(acks), { kind: 'renewed', at })));
        }
        const { unsent, all } = ledger.complete();
        return control.ack(held, unsent, true).pipe(
          map((result) => ({
            kind: 'completed',
            outcome: { kind: 'completed', wake: info, acks: all, nextWake: result.nextWake },
          })),
        );
      }).pipe(
        // A network failure is a missed heartbeat, not the end of the wake: the next one may get through before the lease runs out.
        catchError((error: unknown) =>
          isRetryable(error) ? of<LeaseStep>({ kind: 'missed' }) : throwError(() => error),
        ),
      );

    // One control request at a time: the next waits for the previous answer, then for the heartbeat interval or the handler's end.
    const leaseSteps = (handlerEnded: Observable<unknown>): Observable<LeaseStep> =>
      of<LeaseStep>({ kind: 'renewed', at: held.leaseStartedAt }).pipe(
        expand(
          (step) =>
            step.kind === 'completed'
              ? EMPTY
              : race(
                  timer(heartbeatEvery, scheduler).pipe(map(() => 'heartbeat' as const)),
                  handlerEnded.pipe(map(() => 'done' as const)),
                ).pipe(take(1), concatMap(send)),
          1,
        ),
      );

    // The lease runs out leaseTtlMs after the sending of the last request that renewed it.
    const deadline = (steps: Observable<LeaseStep>): Observable<never> =>
      steps.pipe(
        filter((step) => step.kind === 'renewed'),
        switchMap((step) => timer(Math.max(0, step.at + held.leaseTtlMs - scheduler.now()), scheduler)),
        map(() => {
          throw leaseExpired();
        }),
      );

    const failed = (error: unknown): Observable<WakeOutcome> => {
      // Refused acks would be refused again (the server applies all of a request's acks or none).
      const unsent = error instanceof InvalidAckError ? [] : ledger.unsent();
      return concat(unsent.length > 0 ? control.ack(held, unsent, false) : EMPTY, control.release(held)).pipe(
        ignoreElements(),
        catchError(() => EMPTY),
        endWith<WakeOutcome>({ kind: 'failed', wake: info, error }),
      );
    };

    const handlerEnded = defer(() => from(handler(options.wakeFor(abort.signal)))).pipe(
      tap((ack) => ledger.record(ack)),
      ignoreElements(),
      endWith('handler-done'),
    );
    let settled = false;
    return handlerEnded.pipe(
      // The handler runs once; its end is replayed to whichever lease step is waiting for it.
      connect((ended) => leaseSteps(ended).pipe(connect((steps) => merge(steps, deadline(steps)))), {
        connector: () => new ReplaySubject<string>(1),
      }),
      takeWhile((step) => step.kind !== 'completed', true),
      filter((step): step is Extract<LeaseStep, { kind: 'completed' }> => step.kind === 'completed'),
      map((step): WakeOutcome => step.outcome),
      catchError((error: unknown) =>
        isLeaseLost(error) ? of<WakeOutcome>({ kind: 'lost', wake: info, error: error as Error }) : failed(error),
      ),
      tap(() => (settled = true)),
      finalize(() => {
        abort.abort();
        // Unsubscribed while holding the wake: give it back so another worker need not wait out the lease.
        if (!settled) control.release(held).subscribe({ error: () => undefined });
      }),
    );
  });
}
