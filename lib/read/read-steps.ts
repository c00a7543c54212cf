import { defer, finalize, tap, type Observable } from 'rxjs';
import type { StreamContext } from '../http/stream-context.js';
import type { Checkpoint } from '../protocol/offset.js';
import { stripQuery } from '../protocol/url.js';
import { clientReads } from './client-reads.js';
import { connectionStateTeller, type ConnectionState, type ConnectionStateObserver } from './connection-state.js';
import { httpReadSource, type LearnedContentType } from './http-read-source.js';
import type { PayloadFormat } from './payload-format.js';
import { readLoop, type ReadLoopConfig } from './read-loop.js';
import type { ReadStep } from './read-step.js';
import type { ResolvedReadOptions } from './resolve-read-options.js';
import { sharedRead } from './shared/shared-read.js';
import { tailSnapshots } from './shared/tail-snapshot.js';

/**
 * The steps of one read subscription. A read that stops when up to date
 * (`live: false`), or settles its steps, is one loop of its own requests. A
 * live read catches up on its own requests, then joins the tail its client
 * already runs for the same stream and the same requests (or starts it):
 * one live request and one decode for all of them, and, where the browser
 * allows, for every tab of the app. Under a live-request budget (HTTP/1.1 in
 * a page), `'auto'` reads long-poll, and live requests beyond the budget
 * poll. The budget, the shared tail and the tabs are the client's read
 * decorators, composed once per client (`ClientReads`); this function only
 * puts one read's loops together with them.
 *
 * `payload` names what `makeFormat` decodes: only reads of the same payload
 * share. A read that settles its steps (backpressure) never holds a tail others share.
 */
export function readSteps<P>(
  ctx: StreamContext,
  resolved: ResolvedReadOptions,
  makeFormat: () => PayloadFormat<P>,
  payload: string,
  settle?: ReadLoopConfig<P>['settle'],
): Observable<ReadStep<P>> {
  const reads = ctx.runtime.part(clientReads);
  const url = stripQuery(ctx.url);
  const budget = reads.budgetOf(ctx.url, resolved.live);
  // Long-polls end within the server's wait, so budget slots rotate; an SSE connection would keep one.
  const options: ResolvedReadOptions =
    budget?.() !== undefined && resolved.live === 'auto' ? { ...resolved, live: 'long-poll' } : resolved;
  // What this read learns of the content type, a tail it starts knows too.
  const learned: LearnedContentType = {};

  /** One loop of the read's requests from `start`, told to `connectionState`; under a budget, its live requests take turns. */
  const loop = (
    format: PayloadFormat<P>,
    start: Checkpoint,
    connectionState: ConnectionStateObserver | undefined,
    startsLive?: boolean,
  ): Observable<ReadStep<P>> =>
    defer(() => {
      // The one place a loop's options differ from the read's: where it starts, and who hears of it.
      const at: ResolvedReadOptions = { ...options, start, connectionState, startsLive };
      const open = httpReadSource(ctx, format, at, learned);
      const limited = budget && reads.budgeted(open, ctx.url, budget);
      const config: ReadLoopConfig<P> = {
        url,
        options: at,
        scheduler: ctx.scheduler,
        isEmpty: format.isEmpty,
        connectivity: ctx.connectivity,
        ...(settle ? { settle } : {}),
      };
      return readLoop(limited ? limited.open : open, config).pipe(finalize(() => limited?.close()));
    });

  if (options.live === false || settle) return loop(makeFormat(), options.start, options.connectionState);

  /** A live read that shares its tail: its own catch-up, then the client's tail of the same requests. */
  return defer(() => {
    // One teller per read: its own requests' states, then the tail's, each told once when it changes.
    const states = connectionStateTeller(options.connectionState);
    let started = false;
    // A read that catches up again after a rejoin is not connecting anew.
    const tell = (state: ConnectionState) =>
      state.status === 'connecting' && started ? undefined : states.tell(state);
    const own = makeFormat();
    // A tail starts where a read caught up (or from now): live at once. Its states go to its snapshots, not to this read.
    const local = (start: Checkpoint) =>
      tailSnapshots<P>(start, (connectionState) => loop(makeFormat(), start, connectionState, true));
    return sharedRead<P>(options.start, {
      catchUp: (from) => loop(own, from, { next: tell }),
      tail: (from) => reads.tail({ url: ctx.url, payload, options }, from, local),
      empty: own.none({ url, at: options.start.offset, closed: false, jsonStream: false }),
      isEmpty: own.isEmpty,
      retry: options.retry,
      scheduler: ctx.scheduler,
      tell,
    }).pipe(
      tap(() => (started = true)),
      finalize(() => states.done?.unsubscribe()),
    );
  });
}
