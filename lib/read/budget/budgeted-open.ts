import { defer, filter, finalize, interval, Observable, switchMap, takeUntil, type SchedulerLike } from 'rxjs';
import type { OpenRequest, ReadRequest } from '../read-step.js';
import type { BudgetOf, LiveBudget } from './live-budget.js';

/** A read's requests under a live-request budget, and how to end its part in it. */
export interface BudgetedOpen<P> {
  readonly open: OpenRequest<P>;
  /** The read is over: it no longer waits for a slot. */
  close(): void;
}

export interface BudgetConfig {
  /** How long a live request may hold its slot while other readers wait, ms (SSE is then reopened). */
  readonly leaseMs: number;
  readonly scheduler: SchedulerLike;
}

/**
 * Wraps one read's `open` so its live requests (long-poll, SSE) each hold
 * a slot of the budget `budgetOf` gives at the time (none: they go as they are). A live request that finds no free slot is made as a
 * plain read from the same offset instead (a short poll): the read loop
 * spaces empty quick answers with its backoff, and data still arrives. A
 * reader waiting for a slot says so; a reader whose slot others wait for
 * gives it up after its request (a long-poll ends within the server's
 * wait; an SSE connection is closed at the end of its lease) and polls one
 * round, so slots rotate among readers.
 */
export function budgetedOpen<P>(open: OpenRequest<P>, budgetOf: BudgetOf, config: BudgetConfig): BudgetedOpen<P> {
  let heldLastRound = false;
  let stopWaiting: (() => void) | undefined;
  const setWaiting = (budget: LiveBudget | undefined) => {
    if (budget && !stopWaiting) {
      stopWaiting = budget.slots.wait();
      budget.warn();
    } else if (!budget) {
      stopWaiting?.();
      stopWaiting = undefined;
    }
  };

  /** A slot, unless this reader should give its turn up: freed at once if nobody is there to use it. */
  const slot = ({ slots }: LiveBudget) =>
    new Observable<(() => void) | undefined>((subscriber) => {
      const pick = async () => (heldLastRound && (await slots.contended()) ? undefined : slots.take());
      pick().then(
        (free) => {
          if (subscriber.closed) return free?.();
          subscriber.next(free);
          subscriber.complete();
        },
        (error: unknown) => subscriber.error(error),
      );
    });

  const live = (request: ReadRequest, { slots }: LiveBudget, free: () => void) => {
    setWaiting(undefined);
    heldLastRound = true;
    const othersWait = interval(config.leaseMs, config.scheduler).pipe(
      switchMap(() => slots.contended()),
      filter(Boolean),
    );
    return open(request).pipe(takeUntil(othersWait), finalize(free));
  };
  const poll = (request: ReadRequest, budget: LiveBudget) => {
    setWaiting(budget);
    heldLastRound = false;
    return open({ ...request, kind: 'catch-up' });
  };
  const limited = (request: ReadRequest, budget: LiveBudget | undefined) =>
    budget
      ? slot(budget).pipe(switchMap((free) => (free ? live(request, budget, free) : poll(request, budget))))
      : open(request);

  return {
    open: (request) => (request.kind === 'catch-up' ? open(request) : defer(() => limited(request, budgetOf()))),
    close: () => setWaiting(undefined),
  };
}
