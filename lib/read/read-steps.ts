import {
  asyncScheduler,
  catchError,
  defer,
  finalize,
  map,
  switchMap,
  tap,
  type Observable,
  type SchedulerLike,
} from 'rxjs';
import type { StreamContext } from '../http/stream-context.js';
import type { Checkpoint } from '../protocol/offset.js';
import { stripQuery } from '../protocol/url.js';
import type { BudgetedOpen } from './budget/budgeted-open.js';
import { liveBudgetSizeOf, type BudgetSizeOf } from './budget/budget-size.js';
import { connectionStateTeller, type ConnectionState } from './connection-state.js';
import { crossTabGlobals } from './cross-tab/platform.js';
import { DurableStreamError } from '../errors/durable-stream-error.js';
import { resolveDynamic } from '../http/dynamic-values.js';
import { httpReadSource, type LearnedContentType } from './http-read-source.js';
import type { PayloadFormat } from './payload-format.js';
import { readLoop, type ReadLoopConfig } from './read-loop.js';
import type { OpenRequest, ReadRequest, ReadStep } from './read-step.js';
import type { ResolvedReadOptions } from './resolve-read-options.js';
import { shareKey } from './shared/share-key.js';
import { sharedRead } from './shared/shared-read.js';
import { tailRegistryOf } from './shared/tail-registry.js';
import { tailSnapshots, type TailSnapshot } from './shared/tail-snapshot.js';

/** How long a live request may keep a budget slot that other readers wait for, ms (an SSE connection is then reopened). */
const LEASE_MS = 20_000;

/** Cross-tab tails and the live-request budget: loaded on demand, once needed (a lazy chunk in a bundle; see the module). */
const tabsAndBudget = defer(() => import('./tabs-and-budget.js'));

/**
 * The steps of one read subscription. A read that stops when up to date
 * (`live: false`) is one loop of its own requests. A live read catches up
 * on its own requests, then joins the tail its client already runs for the
 * same stream and the same requests (or starts it): one live request and
 * one decode for all of them, and, where the browser allows, for every tab
 * of the app (`shareAcrossTabs`). Under a live-request budget (HTTP/1.1 in
 * a page), `'auto'` reads long-poll, and live requests beyond the budget poll.
 *
 * `payload` names what `makeFormat` decodes: only reads of the same payload share.
 */
export function readSteps<P>(
  ctx: StreamContext,
  resolved: ResolvedReadOptions,
  makeFormat: () => PayloadFormat<P>,
  payload: string,
  settle?: ReadLoopConfig<P>['settle'],
): Observable<ReadStep<P>> {
  const url = stripQuery(ctx.url);
  const budgetSize =
    resolved.live === false ? undefined : liveBudgetSizeOf(ctx.url, ctx.http.options.liveRequestBudget);
  // Long-polls end within the server's wait, so budget slots rotate; an SSE connection would keep one.
  const options: ResolvedReadOptions =
    budgetSize?.() !== undefined && resolved.live === 'auto' ? { ...resolved, live: 'long-poll' } : resolved;
  // What this read learns of the content type, a tail it starts knows too.
  const learned: LearnedContentType = {};
  const loop = (loopOptions: ResolvedReadOptions, format: PayloadFormat<P>) =>
    httpLoop(ctx, url, loopOptions, format, learned, budgetSize, settle);
  // A read that settles its steps (backpressure) holds its loop while it does: it never holds a tail others share.
  if (options.live === false || settle) return loop(options, makeFormat());

  return defer(() => {
    // One teller per read: its own requests' states, then the tail's, each told once when it changes.
    const states = connectionStateTeller(options.connectionState);
    let started = false;
    // A read that catches up again after a rejoin is not connecting anew.
    const tell = (state: ConnectionState) =>
      state.status === 'connecting' && started ? undefined : states.tell(state);
    return sharedLiveRead(
      ctx,
      url,
      { ...options, connectionState: { next: tell } },
      makeFormat,
      payload,
      loop,
      tell,
    ).pipe(
      tap(() => (started = true)),
      finalize(() => states.done?.unsubscribe()),
    );
  });
}

/** A live read that shares its tail: its own catch-up, then the client's tail of the same requests. */
function sharedLiveRead<P>(
  ctx: StreamContext,
  url: string,
  options: ResolvedReadOptions,
  makeFormat: () => PayloadFormat<P>,
  payload: string,
  loop: (options: ResolvedReadOptions, format: PayloadFormat<P>) => Observable<ReadStep<P>>,
  tell: (state: ConnectionState) => void,
): Observable<ReadStep<P>> {
  const own = makeFormat();
  const at = (start: Checkpoint): ResolvedReadOptions => ({ ...options, start });
  // A tail starts where a read caught up (or from now): live at once. Its states go to its snapshots, not to this read.
  const local = (start: Checkpoint): Observable<TailSnapshot<P>> =>
    tailSnapshots<P>(start, (connectionState) =>
      loop({ ...at(start), startsLive: true, connectionState }, makeFormat()),
    );
  // Across tabs where the platform allows (the code for it loaded then); a failed load keeps the tail in this tab.
  const globals = ctx.http.options.shareAcrossTabs ? crossTabGlobals() : undefined;
  const open = globals
    ? (start: Checkpoint) =>
        tabsAndBudget.pipe(
          catchError(() => [undefined]),
          switchMap((module) =>
            module
              ? module.crossTabOpen(ctx, options, payload, local, {
                  globals,
                  resolveDynamic,
                  errorType: DurableStreamError,
                })(start)
              : local(start),
          ),
        )
    : local;
  const key = shareKey(ctx.url, payload, options);
  const registry = tailRegistryOf(ctx.http);
  return sharedRead<P>(options.start, {
    catchUp: (from) => loop(at(from), own),
    tail: (from) => registry.tail(key, from, open),
    empty: own.none({ url, at: options.start.offset, closed: false, jsonStream: false }),
    isEmpty: own.isEmpty,
    retry: options.retry,
    scheduler: ctx.scheduler,
    tell,
  });
}

/** One read loop over HTTP; under a budget, its live requests take turns for the budget's slots. */
function httpLoop<P>(
  ctx: StreamContext,
  url: string,
  options: ResolvedReadOptions,
  format: PayloadFormat<P>,
  learned: LearnedContentType,
  budgetSize: BudgetSizeOf | undefined,
  settle: ReadLoopConfig<P>['settle'] | undefined,
): Observable<ReadStep<P>> {
  return defer(() => {
    const open = httpReadSource(ctx, format, options, learned);
    const limited =
      budgetSize &&
      lazyBudgetedOpen(open, ctx.url, budgetSize, { leaseMs: LEASE_MS, scheduler: ctx.scheduler ?? asyncScheduler });
    const config: ReadLoopConfig<P> = {
      url,
      options,
      scheduler: ctx.scheduler,
      isEmpty: format.isEmpty,
      connectivity: ctx.connectivity,
      ...(settle ? { settle } : {}),
    };
    return readLoop(limited ? limited.open : open, config).pipe(finalize(() => limited?.close()));
  });
}

/**
 * `budgetedOpen` over `open`, loaded with the first live request (catch-up
 * requests take no slot, and do not wait for it). A failed load leaves the
 * live requests unbudgeted, as they are where there is no budget.
 */
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
