import {
  defer,
  EMPTY,
  filter,
  finalize,
  map,
  switchMap,
  takeWhile,
  Observable,
  type MonoTypeOperatorFunction,
} from 'rxjs';
import type { StreamContext } from '../http/stream-context.js';
import { Offset, type Checkpoint } from '../protocol/offset.js';
import type { StreamPosition } from '../protocol/position.js';
import { stripQuery } from '../protocol/url.js';
import { clientReads, type LiveCode } from './client-reads.js';
import { connectionStateTeller, type ConnectionState } from './connection-state.js';
import { httpReadSource, type LearnedContentType } from './http-read-source.js';
import type { LiveLoop, LiveRead } from './live-reads.js';
import type { PayloadFormat } from './payload-format.js';
import { continueWith } from './continue-with.js';
import { readLoop, type ReadLoopConfig } from './read-loop.js';
import type { ReadStep } from './read-step.js';
import type { ResolvedReadOptions } from './resolve-read-options.js';

/**
 * The steps of one read subscription. A read that stops when up to date
 * (`live: false`) is one loop of its own requests. A live read catches up
 * on its own requests while the code of live reads loads (live-code.ts, a
 * lazy chunk), then joins the tail its client already runs for the same
 * stream and the same requests (or starts it): one live request and one
 * decode for all of them, and, where the browser allows, for every tab of
 * the app. Under a live-request budget (HTTP/1.1 in a page), `'auto'`
 * reads long-poll, and live requests beyond the budget poll. The budget,
 * the shared tail and the tabs are the client's live reads, made once per
 * client (`LiveReads`); this function puts one read's loops together with them.
 *
 * Where that code fails to load, a live read goes on alone: long-polls of
 * its own (`'auto'`), unshared, each bounded by its request timeout.
 *
 * `payload` names what `makeFormat` decodes: only reads of the same payload
 * share. `project` makes what the read emits of each step, where the step is
 * emitted (a reader of a fan-out keeps no operator for it). A read that
 * settles its steps (backpressure) never holds a tail others share.
 */
export function readSteps<P, C>(
  ctx: StreamContext,
  resolved: ResolvedReadOptions,
  makeFormat: () => PayloadFormat<P>,
  payload: string,
  project: (step: ReadStep<P>) => C,
  settle?: ReadLoopConfig<P>['settle'],
): Observable<C> {
  const reads = ctx.runtime.part(clientReads);
  const url = stripQuery(ctx.url);
  // What this read learns of the content type, a tail it starts knows too.
  const learned: LearnedContentType = {};

  /** One loop of the read's requests with `options` (its start, its observer); a live loop has `live`'s kit and budget. */
  const loop = (format: PayloadFormat<P>, options: ResolvedReadOptions, live?: LiveLoop<P>): Observable<ReadStep<P>> =>
    defer(() => {
      // A live loop may open SSE connections: their code loads with the code of live reads, started now.
      const sse = options.live === false ? undefined : reads.liveCode().pipe(map((code) => code?.sseConnection));
      const open = httpReadSource(ctx, format, options, learned, sse);
      const limited = live?.limit?.(open);
      const config: ReadLoopConfig<P> = {
        url,
        options,
        scheduler: ctx.scheduler,
        isEmpty: format.isEmpty,
        connectivity: ctx.connectivity,
        kit: live?.kit,
        settle,
      };
      // Only a loop that takes turns for a budget has something to finish (a tail keeps its operators as long as it reads).
      return limited ? readLoop(limited.open, config).pipe(finalize(() => limited.close())) : readLoop(open, config);
    });

  if (resolved.live === false) return loop(makeFormat(), resolved).pipe(map(project));
  const read: LiveRead<P> = { url: ctx.url, payload, options: resolved, makeFormat, loop };
  /** Without the code of live reads: the read's own loop, `'auto'` as long-poll (its SSE code is missing too). */
  const alone = (format: PayloadFormat<P>, options: ResolvedReadOptions) =>
    loop(format, resolved.live === 'auto' ? { ...options, live: 'long-poll' } : options);

  if (settle)
    return defer(() => reads.liveCode()).pipe(
      switchMap((code) =>
        code ? code.reads.alone(read, makeFormat(), resolved.connectionState) : alone(makeFormat(), resolved),
      ),
      map(project),
    );

  /**
   * A live read that shares its tail: its catch-up (while the code loads; with `catchUps: sharedCatchUps()`, shared
   * with the client's reads from the same offset that come before its first step), then the client's tail of the same
   * requests. Every reader of a fan-out runs this for as long as it reads: what stays of it once live is kept small
   * (no operator of its catch-up, nor of its wait for the code).
   */
  return defer(() => {
    const code = reads.liveCode();
    // One teller per read: its own requests' states, then the tail's, each told once when it changes.
    const states = connectionStateTeller(resolved.connectionState);
    const tell = connectingOnce(states.tell);
    const own = makeFormat();
    // Where the read's first catch-up left it (none from `now`: the tail tells where that is).
    let at: StreamPosition | undefined;
    const catchUp =
      resolved.start.offset === Offset.now
        ? EMPTY
        : (reads.catchUps?.(read, own, tell) ??
          loop(own, { ...resolved, connectionState: { next: tell } }).pipe(
            takeWhile((step) => !step.upToDate && !step.closed, true),
          ));
    const empty = own.none({ url, at: resolved.start.offset, closed: false, jsonStream: false });
    const join = (found: LiveCode | undefined): Observable<C> => {
      if (found) return found.reads.shared(read, { format: own, at, empty, tell, project });
      const options: ResolvedReadOptions = { ...resolved, connectionState: { next: tell } };
      if (!at) return alone(own, options).pipe(map(project));
      return alone(own, { ...options, start: checkpointOf(at), startsLive: true }).pipe(
        skipUnchanged(at, own.isEmpty),
        map(project),
      );
    };
    // Its position only (not its payload), from the catch-up's last step.
    const live = (last: ReadStep<P> | undefined) => {
      if (last) at = { offset: last.offset, cursor: last.cursor, upToDate: last.upToDate, closed: last.closed };
      return at?.closed ? EMPTY : continueWith<LiveCode | undefined, C>(code, join);
    };
    const steps = continueWith(catchUp, live, project);
    return states.done ? steps.pipe(finalize(() => states.done?.unsubscribe())) : steps;
  });
}

/**
 * `tell`, but a read that catches up again after a rejoin (a new loop, which starts `connecting`) is not connecting
 * anew. Made apart from the read's other closures: the read's shared tail keeps it for as long as the read lives.
 */
function connectingOnce(tell: (state: ConnectionState) => void): (state: ConnectionState) => void {
  let started = false;
  return (state) => {
    if (state.status !== 'connecting') started = true;
    else if (started) return;
    tell(state);
  };
}

function checkpointOf({ offset, cursor }: StreamPosition): Checkpoint {
  return cursor === undefined ? { offset } : { offset, cursor };
}

/** Leaves out a first step that tells a read at `at` nothing new (a new loop's first step is always emitted). */
function skipUnchanged<P>(at: StreamPosition, isEmpty: (payload: P) => boolean): MonoTypeOperatorFunction<ReadStep<P>> {
  return filter(
    (step, index) =>
      index > 0 ||
      !isEmpty(step.payload) ||
      step.offset !== at.offset ||
      step.upToDate !== at.upToDate ||
      step.closed !== at.closed,
  );
}
