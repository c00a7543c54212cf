import { switchMap, type Observable, type SchedulerLike } from 'rxjs';
import type { DurableStreamError } from '../errors/durable-stream-error.js';
import type { DynamicRecord, resolveDynamic } from '../http/dynamic-values.js';
import type { Checkpoint } from '../protocol/offset.js';
import { budgetedOpen, type BudgetedOpen } from './budget/budgeted-open.js';
import type { BudgetSizeOf } from './budget/budget-size.js';
import { liveBudgetOf } from './budget/live-budget.js';
import { crossTabTail } from './cross-tab/cross-tab-tail.js';
import { crossTabEnvironment } from './cross-tab/environment.js';
import type { CrossTabGlobals } from './cross-tab/platform.js';
import { tailName } from './cross-tab/tail-name.js';
import type { OpenRequest } from './read-step.js';
import type { TailRead } from './live-reads.js';
import type { TailSnapshot } from './shared/tail-snapshot.js';

/*
 * What a live read does only where the platform calls for it: one tail for
 * all the tabs of an app (Web Locks and BroadcastChannel), and turns for the
 * few live requests an HTTP/1.1 origin allows. `read-steps` loads this
 * module with `import()` only once it needs it (a tail to open across tabs,
 * a live request under a budget), so a bundler makes it a lazy chunk, as an
 * Angular lazy route: on Node, over HTTP/2, or without Web Locks, an app
 * never loads it, and where it is needed it loads while the read catches up.
 *
 * It imports no module of the read path's initial chunks: what it needs of
 * them is lent (`ReadPathLoan`), and type imports are erased. The read path
 * composes it into a client's reads once (`client-reads.ts`). A module it
 * shared with them would go into a chunk of its own, splitting the initial
 * code into two files, in every app, even one that never reads (a bundler
 * makes the chunk for this module wherever the read path is in the graph).
 */

/** What the read path lends this module instead of its importing it (see above). */
export interface ReadPathLoan {
  /** The Web Locks API and `BroadcastChannel`, as `crossTabGlobals()` found them. */
  readonly globals: CrossTabGlobals;
  readonly resolveDynamic: typeof resolveDynamic;
  readonly errorType: typeof DurableStreamError;
  /** The client's headers and params on requests to `url`: none where the client does not trust its origin. */
  readonly credentials: (
    url: string,
  ) => { readonly headers?: DynamicRecord; readonly params?: DynamicRecord } | undefined;
}

/**
 * How a read opens its client's tail across tabs: the tail of the tab that
 * holds the tail's lock, which opens `local` (see `crossTabTail`); named by
 * what the requests carry, so tabs share only what they would send alike.
 */
export function crossTabOpen<P>(
  read: TailRead,
  local: (start: Checkpoint) => Observable<TailSnapshot<P>>,
  loan: ReadPathLoan,
): (start: Checkpoint) => Observable<TailSnapshot<P>> {
  const env = crossTabEnvironment(loan.globals, loan.errorType);
  const { url, payload, options } = read;
  const client = loan.credentials(url);
  return (start) =>
    tailName(
      {
        url,
        payload,
        live: String(options.live),
        headers: [client?.headers, options.headers],
        params: [client?.params, options.params],
        rest: JSON.stringify([
          options.retry,
          options.longPollTimeoutMs,
          options.sseFallbackTimeoutMs,
          options.sseIdleTimeoutMs,
          options.learnsLiveness,
        ]),
      },
      loan.resolveDynamic,
    ).pipe(switchMap((name) => crossTabTail(name, start, local, env)));
}

/** A read's `open` whose live requests take turns for the live-request budget of `url`'s origin, of the size `sizeOf` tells. */
export function budgetedLiveOpen<P>(
  open: OpenRequest<P>,
  url: string,
  sizeOf: BudgetSizeOf,
  config: { readonly leaseMs: number; readonly scheduler: SchedulerLike },
): BudgetedOpen<P> {
  return budgetedOpen(open, liveBudgetOf(url, sizeOf), config);
}
