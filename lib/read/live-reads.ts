import { asyncScheduler, catchError, defer, map, switchMap, type Observable, type SchedulerLike } from 'rxjs';
import type { resolveDynamic } from '../http/dynamic-values.js';
import type { Checkpoint } from '../protocol/offset.js';
import type { StreamPosition } from '../protocol/position.js';
import type { RetryConfig } from '../retry/retry-config.js';
import { boundSilence } from './bound-silence.js';
import type { BudgetedOpen } from './budget/budgeted-open.js';
import { liveBudgetSizeOf, type BudgetSizeOf } from './budget/budget-size.js';
import type { ConnectionState, ConnectionStateObserver } from './connection-state.js';
import { LIVENESS_FACTOR, livenessLearning } from './liveness.js';
import { crossTabGlobals } from './cross-tab/platform.js';
import type { PayloadFormat } from './payload-format.js';
import type { LiveKit } from './read-loop.js';
import type { OpenRequest, ReadRequest, ReadStep } from './read-step.js';
import type { ResolvedReadOptions } from './resolve-read-options.js';
import { shareKeys } from './shared/share-key.js';
import { sharedRead, type SharedReadConfig } from './shared/shared-read.js';
import { TailRegistry } from './shared/tail-registry.js';
import { tailSnapshots, type TailSnapshot } from './shared/tail-snapshot.js';
import { guardSse, mayFallBackFromSse } from './sse-guard.js';
import type { SseLoan } from './sse-source.js';
import type { ReadPathLoan } from './tabs-and-budget.js';

/** How long a live request may keep a budget slot that other readers wait for, ms (an SSE connection is then reopened). */
const LEASE_MS = 20_000;

/** Cross-tab tails and the live-request budget: loaded on demand, once needed (a lazy chunk in a bundle; see the module). */
const tabsAndBudget = defer(() => import('./tabs-and-budget.js'));

/**
 * What a client lends the code of its live reads, which loads in a lazy
 * chunk that imports none of the read path's initial modules (see
 * live-code.ts): its options, and what of the initial code it needs (its
 * SSE connections' too: one loan for the whole chunk).
 */
export interface LiveReadsLoan extends SseLoan {
  readonly liveRequestBudget: number | 'auto';
  readonly shareAcrossTabs: boolean;
  readonly scheduler: SchedulerLike | undefined;
  /** The client's headers and params on requests to `url`: none where the client does not trust its origin. */
  readonly credentials: ReadPathLoan['credentials'];
  readonly resolveDynamic: typeof resolveDynamic;
  /** The wait before the `attempt`th try under `retry`, ms (`backoffDelay`). */
  readonly backoff: (retry: RetryConfig, attempt: number) => number;
}

/** What a live read shares its tail by: its stream, what it decodes, and its requests' options. */
export interface TailRead {
  readonly url: string;
  readonly payload: string;
  readonly options: ResolvedReadOptions;
}

/** What a live loop has that a catch-up does not: the loop's options, the live kit, and turns for the live-request budget. */
export interface LiveLoop<P> {
  readonly kit: LiveKit;
  /** `open` whose live requests take turns for the origin's budget; absent where there is none. */
  readonly limit?: ((open: OpenRequest<P>) => BudgetedOpen<P>) | undefined;
}

/** One live read, as `readSteps` lends it: its stream, what it decodes, its options, and how it makes a loop of requests. */
export interface LiveRead<P> {
  /** The stream's URL. */
  readonly url: string;
  /** What `makeFormat` decodes: only reads of the same payload share a tail. */
  readonly payload: string;
  readonly options: ResolvedReadOptions;
  readonly makeFormat: () => PayloadFormat<P>;
  /** A loop of requests with `format` and `options` (its start, its observer); a live loop with `live`. */
  loop(format: PayloadFormat<P>, options: ResolvedReadOptions, live?: LiveLoop<P>): Observable<ReadStep<P>>;
}

/**
 * What a live read brings to its shared tail: its own format, where it stands, who hears of its connection, and what
 * it emits of a step (`C`: a JSON batch, a chunk).
 */
export interface OwnPart<P, C> {
  readonly format: PayloadFormat<P>;
  /** Where its first catch-up left it (undefined from `now`, or before it caught up). */
  readonly at: StreamPosition | undefined;
  /** The payload without data, told to a reader that joins from `now`. */
  readonly empty: P;
  readonly tell: (state: ConnectionState) => void;
  readonly project: (step: ReadStep<P>) => C;
}

/** The live reads of one client: made once per client from its loan, when the code first loads. */
export interface LiveReads {
  /**
   * The rest of a live read after its own first catch-up: the tail its
   * client already runs for the same stream and the same requests (or one
   * it starts), joined at exactly its offset (see `sharedRead`); where the
   * browser allows, the tail of every tab of the app. Under a live-request
   * budget (HTTP/1.1 in a page), `'auto'` reads long-poll, and live
   * requests beyond the budget poll.
   */
  shared<P, C>(read: LiveRead<P>, own: OwnPart<P, C>): Observable<C>;
  /** A live read of its own requests (one that settles its steps never holds a tail others share), told to `connectionState`. */
  alone<P>(
    read: LiveRead<P>,
    format: PayloadFormat<P>,
    connectionState: ConnectionStateObserver | undefined,
  ): Observable<ReadStep<P>>;
}

/** The live reads of a client with `loan` (see {@link LiveReads}). */
export function liveReads(loan: LiveReadsLoan): LiveReads {
  const budgetConfig = { leaseMs: LEASE_MS, scheduler: loan.scheduler ?? asyncScheduler };
  const registry = new TailRegistry();
  const keyOf = shareKeys();
  const globals = loan.shareAcrossTabs ? crossTabGlobals() : undefined;
  const tabsLoan: ReadPathLoan | undefined = globals && {
    globals,
    resolveDynamic: loan.resolveDynamic,
    errorType: loan.DurableStreamError,
    credentials: loan.credentials,
  };
  const kit = liveKit(loan);

  /** The read's options and its loops' live part: under a budget, `'auto'` long-polls (budget slots rotate; SSE would keep one). */
  const live = <P>(read: LiveRead<P>) => {
    const sizeOf = liveBudgetSizeOf(read.url, loan.liveRequestBudget);
    const options: ResolvedReadOptions =
      sizeOf?.() !== undefined && read.options.live === 'auto' ? { ...read.options, live: 'long-poll' } : read.options;
    const part: LiveLoop<P> = {
      kit,
      limit: sizeOf && ((open: OpenRequest<P>) => lazyBudgetedOpen(open, read.url, sizeOf, budgetConfig)),
    };
    const loop = (
      format: PayloadFormat<P>,
      start: Checkpoint,
      connectionState: ConnectionStateObserver | undefined,
      startsLive?: boolean,
    ) => read.loop(format, { ...options, start, connectionState, startsLive }, part);
    return { options, loop };
  };

  const reads: LiveReadsOf = {
    live,
    scheduler: loan.scheduler,
    backoff: loan.backoff,
    tail: (read, from, local) => registry.tail(keyOf(read), from, tabsLoan ? acrossTabs(read, local, tabsLoan) : local),
  };
  return {
    shared: <P, C>(read: LiveRead<P>, own: OwnPart<P, C>) =>
      sharedRead<P, C>(own.at ? { caughtUp: own.at } : read.options.start, new SharedLiveRead(reads, read, own)),
    alone: (read, format, connectionState) => live(read).loop(format, read.options.start, connectionState),
  };
}

/** What the shared live reads of one client have in common (see {@link SharedLiveRead}). */
interface LiveReadsOf {
  /** The read's options and its loops (see `liveReads`). */
  live<P>(read: LiveRead<P>): {
    readonly options: ResolvedReadOptions;
    readonly loop: (
      format: PayloadFormat<P>,
      start: Checkpoint,
      connectionState: ConnectionStateObserver | undefined,
      startsLive?: boolean,
    ) => Observable<ReadStep<P>>;
  };
  readonly scheduler: SchedulerLike | undefined;
  readonly backoff: LiveReadsLoan['backoff'];
  /** The client's tail for `read` (started at `from` when none runs), opened with `local` where this tab runs it. */
  tail<P>(
    read: TailRead,
    from: Checkpoint,
    local: (start: Checkpoint) => Observable<TailSnapshot<P>>,
  ): Observable<TailSnapshot<P>>;
}

/**
 * One live read's part in its shared tail (its `SharedReadConfig`): one
 * object whose methods make its own catch-ups and its tail when it needs
 * them (every reader of a fan-out holds one for as long as it reads, so no
 * closures are made for it, and no options until it needs a request).
 */
class SharedLiveRead<P, C> implements SharedReadConfig<P, C> {
  constructor(
    private readonly reads: LiveReadsOf,
    private readonly read: LiveRead<P>,
    private readonly own: OwnPart<P, C>,
  ) {}

  get empty(): P {
    return this.own.empty;
  }
  get scheduler(): SchedulerLike | undefined {
    return this.reads.scheduler;
  }
  get tell(): (state: ConnectionState) => void {
    return this.own.tell;
  }
  get isEmpty(): (payload: P) => boolean {
    return this.own.format.isEmpty;
  }
  catchUp(from: Checkpoint): Observable<ReadStep<P>> {
    return this.reads.live(this.read).loop(this.own.format, from, { next: this.own.tell });
  }
  /** A tail starts where a read caught up (or from now): live at once. Its states go to its snapshots, not to this read. */
  tail(from: Checkpoint): Observable<TailSnapshot<P>> {
    const { read } = this;
    const { options, loop } = this.reads.live(read);
    const local = (start: Checkpoint) =>
      tailSnapshots<P>(start, (connectionState) => loop(read.makeFormat(), start, connectionState, true));
    return this.reads.tail({ url: read.url, payload: read.payload, options }, from, local);
  }
  backoff(rounds: number): number {
    return this.reads.backoff(this.read.options.retry, rounds);
  }
  project(step: ReadStep<P>): C {
    return this.own.project(step);
  }
}

/** How a tail opens across tabs: through the tab holding it (the code for it loaded then); a failed load keeps it in this tab. */
function acrossTabs<P>(
  read: TailRead,
  local: (start: Checkpoint) => Observable<TailSnapshot<P>>,
  loan: ReadPathLoan,
): (start: Checkpoint) => Observable<TailSnapshot<P>> {
  return (start) =>
    tabsAndBudget.pipe(
      catchError(() => [undefined]),
      switchMap((module) => (module ? module.crossTabOpen(read, local, loan)(start) : local(start))),
    );
}

/**
 * `budgetedOpen` over `open`, its code loaded with the first live request (catch-up requests take no slot and do
 * not wait); a failed load leaves them unbudgeted.
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

/** What only live requests need of this code (see `ReadLoopConfig.kit`), with the error types of `loan`. */
export function liveKit(
  loan: Pick<LiveReadsLoan, 'DurableStreamError' | 'SseUnavailableError' | 'TimeoutError'>,
): LiveKit {
  return {
    guardSse: (url, options, scheduler, read) =>
      guardSse(
        url,
        options.sseFallbackTimeoutMs,
        scheduler,
        { canFallBack: () => mayFallBackFromSse(read.state(), options.live), fallBack: read.fallBack },
        loan,
      ),
    boundSilence,
    liveness: livenessLearning,
    silence: (url, kind, ms) =>
      new loan.TimeoutError({
        url,
        timeoutMs: ms,
        phase: kind === 'sse' ? 'body' : 'response',
        hint:
          `No sign of life for ${LIVENESS_FACTOR}x the server's keep-alive interval: presumed dead (a proxy may ` +
          'hold the connection); left, and retried from the last offset',
      }),
  };
}
