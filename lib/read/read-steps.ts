import { defer, finalize, tap, type Observable } from 'rxjs';
import type { StreamContext } from '../http/stream-context.js';
import type { Checkpoint } from '../protocol/offset.js';
import { stripQuery } from '../protocol/url.js';
import { connectionStateTeller, type ConnectionState } from './connection-state.js';
import { httpReadSource, type LearnedContentType } from './http-read-source.js';
import type { PayloadFormat } from './payload-format.js';
import { readLoop, type ReadLoopConfig } from './read-loop.js';
import type { ReadStep } from './read-step.js';
import type { ResolvedReadOptions } from './resolve-read-options.js';
import { shareKey } from './shared/share-key.js';
import { sharedRead } from './shared/shared-read.js';
import { tailRegistryOf } from './shared/tail-registry.js';
import { tailSnapshots, type TailSnapshot } from './shared/tail-snapshot.js';

/**
 * The steps of one read subscription. A read that stops when up to date
 * (`live: false`) is one loop of its own requests. A live read catches up
 * on its own requests, then joins the tail its client already runs for the
 * same stream and the same requests (or starts it): one live request and
 * one decode for all of them.
 *
 * `payload` names what `makeFormat` decodes: only reads of the same payload share.
 */
export function readSteps<P>(
  ctx: StreamContext,
  options: ResolvedReadOptions,
  makeFormat: () => PayloadFormat<P>,
  payload: string,
  settle?: ReadLoopConfig<P>['settle'],
): Observable<ReadStep<P>> {
  const url = stripQuery(ctx.url);
  // What this read learns of the content type, a tail it starts knows too.
  const learned: LearnedContentType = {};
  const loop = (loopOptions: ResolvedReadOptions, format: PayloadFormat<P>): Observable<ReadStep<P>> =>
    defer(() =>
      readLoop(httpReadSource(ctx, format, loopOptions, learned), {
        url,
        options: loopOptions,
        scheduler: ctx.scheduler,
        isEmpty: format.isEmpty,
        connectivity: ctx.connectivity,
        ...(settle ? { settle } : {}),
      }),
    );
  // A read that settles its steps (backpressure) holds its loop while it does: it never holds a tail others share.
  if (options.live === false || settle) return loop(options, makeFormat());

  return defer(() => {
    // One teller per read: its own requests' states, then the tail's, each told once when it changes.
    const states = connectionStateTeller(options.connectionState);
    let started = false;
    // A read that catches up again after a rejoin is not connecting anew.
    const tell = (state: ConnectionState) => (state.status === 'connecting' && started ? undefined : states.tell(state));
    return sharedLiveRead(ctx, url, { ...options, connectionState: { next: tell } }, makeFormat, payload, loop, tell).pipe(
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
  const open = (start: Checkpoint): Observable<TailSnapshot<P>> =>
    tailSnapshots<P>(start, (connectionState) => loop({ ...at(start), startsLive: true, connectionState }, makeFormat()));
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
