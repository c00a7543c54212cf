import { asyncScheduler, catchError, defer, map, switchMap, type Observable, type SchedulerLike } from 'rxjs';
import { DurableStreamError } from '../errors/durable-stream-error.js';
import type { RuntimePart } from '../http/client-runtime.js';
import { resolveDynamic } from '../http/dynamic-values.js';
import type { Checkpoint } from '../protocol/offset.js';
import type { BudgetedOpen } from './budget/budgeted-open.js';
import { liveBudgetSizeOf, type BudgetSizeOf } from './budget/budget-size.js';
import { crossTabGlobals } from './cross-tab/platform.js';
import type { LiveMode } from './read-options.js';
import type { OpenRequest, ReadRequest } from './read-step.js';
import type { ResolvedReadOptions } from './resolve-read-options.js';
import { shareKeys } from './shared/share-key.js';
import { TailRegistry } from './shared/tail-registry.js';
import type { TailSnapshot } from './shared/tail-snapshot.js';
import type { ReadPathLoan } from './tabs-and-budget.js';

/** How long a live request may keep a budget slot that other readers wait for, ms (an SSE connection is then reopened). */
const LEASE_MS = 20_000;

/** Cross-tab tails and the live-request budget: loaded on demand, once needed (a lazy chunk in a bundle; see the module). */
const tabsAndBudget = defer(() => import('./tabs-and-budget.js'));

/** How a tail starts: the steps of a live read from `start`, as snapshots (see `tailSnapshots`). */
export type TailOpen<P> = (start: Checkpoint) => Observable<TailSnapshot<P>>;

/** What a live read shares its tail by: its stream, what it decodes, and its requests' options. */
export interface TailRead {
  readonly url: string;
  readonly payload: string;
  readonly options: ResolvedReadOptions;
}

/**
 * The read path's part of a client's runtime: the decorators every read of
 * the client goes through, composed once, on the client's first read, from
 * its options (see `readSteps` for how a read puts them together).
 */
export interface ClientReads {
  /**
   * The live-request budget of `url`'s origin, asked for at each live
   * request (see `liveBudgetSizeOf`); undefined where there can be none (a
   * read that stops when up to date, `liveRequestBudget: Infinity`, Node).
   */
  budgetOf(url: string, live: LiveMode): BudgetSizeOf | undefined;
  /**
   * `open`, whose live requests take turns for the budget `sizeOf` tells;
   * the code for it loads with the first live request (catch-up requests
   * take no slot and do not wait). A failed load leaves them unbudgeted.
   */
  budgeted<P>(open: OpenRequest<P>, url: string, sizeOf: BudgetSizeOf): BudgetedOpen<P>;
  /**
   * The tail `read` shares with the client's other live reads of the same
   * stream and requests: the running one, or, on subscribe, one started at
   * `from`, opened by `local` in this tab, or, where tabs share tails
   * (`shareAcrossTabs` and the platform allows), by the tab that holds it.
   */
  tail<P>(read: TailRead, from: Checkpoint, local: TailOpen<P>): Observable<TailSnapshot<P>>;
}

/** The read path's part of a client's runtime (see {@link ClientReads}): `runtime.part(clientReads)`. */
export const clientReads: RuntimePart<ClientReads> = ({ options, http }) => {
  const budget = { leaseMs: LEASE_MS, scheduler: options.scheduler ?? asyncScheduler };
  const registry = new TailRegistry();
  const keyOf = shareKeys();
  const globals = options.shareAcrossTabs ? crossTabGlobals() : undefined;
  const loan: ReadPathLoan | undefined = globals && {
    globals,
    resolveDynamic,
    errorType: DurableStreamError,
    // The client's own headers and params go only to the origins it trusts, as the requests do.
    credentials: (url) => (http.trusts(url) ? options : undefined),
  };
  return {
    budgetOf: (url, live) => (live === false ? undefined : liveBudgetSizeOf(url, options.liveRequestBudget)),
    budgeted: (open, url, sizeOf) => lazyBudgetedOpen(open, url, sizeOf, budget),
    tail: (read, from, local) => registry.tail(keyOf(read), from, loan ? acrossTabs(read, local, loan) : local),
  };
};

/** How a tail opens across tabs: through the tab holding it (the code for it loaded then); a failed load keeps it in this tab. */
function acrossTabs<P>(read: TailRead, local: TailOpen<P>, loan: ReadPathLoan): TailOpen<P> {
  return (start) =>
    tabsAndBudget.pipe(
      catchError(() => [undefined]),
      switchMap((module) => (module ? module.crossTabOpen(read, local, loan)(start) : local(start))),
    );
}

/** `budgetedOpen` over `open`, loaded with the first live request (see {@link ClientReads.budgeted}). */
function lazyBudgetedOpen<P>(
  open: OpenRequest<P>,
  url: string,
  sizeOf: BudgetSizeOf,
  config: { readonly leaseMs: number; readonly scheduler: SchedulerLike },
): BudgetedOpen<P> {
  let budgeted: BudgetedOpen<P> | undefined;
  let loaded = false;
  const load = tabsAndBudget.pipe(
    catchError(() => [undefined]),
    map((module) => {
      if (!loaded) budgeted = module?.budgetedLiveOpen(open, url, sizeOf, config);
      loaded = true;
    }),
  );
  const viaBudget = (request: ReadRequest) => (budgeted ? budgeted.open(request) : open(request));
  return {
    open: (request) =>
      request.kind === 'catch-up' || loaded ? viaBudget(request) : load.pipe(switchMap(() => viaBudget(request))),
    close: () => budgeted?.close(),
  };
}
