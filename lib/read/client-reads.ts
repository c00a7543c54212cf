import { asyncScheduler, defer, from, map, of, timeout, type Observable, type SchedulerLike } from 'rxjs';
import { ParseError, TimeoutError } from '../errors/client-errors.js';
import { DurableStreamError } from '../errors/durable-stream-error.js';
import { ProtocolError } from '../errors/protocol-error.js';
import type { CatchUpShare } from '../http/catch-up-sharing.js';
import type { RuntimePart } from '../http/client-runtime.js';
import { resolveDynamic } from '../http/dynamic-values.js';
import { isJsonContentType, mediaType } from '../protocol/content-type.js';
import { Header } from '../protocol/headers.js';
import { backoffDelay } from '../retry/retry-with-backoff.js';
import type { SseConnect } from './http-read-source.js';
import { parseJsonArray } from './json-array-text.js';
import type { LiveReads, LiveReadsLoan } from './live-reads.js';
import { SseUnavailableError } from './sse-unavailable-error.js';

/** The code of live reads (see live-code.ts): SSE connections, and a client's live reads that share tails. */
export interface LiveCode {
  /** SSE connections, with what the client lends their code. */
  readonly sseConnection: SseConnect;
  readonly reads: LiveReads;
}

/**
 * The read path's part of a client's runtime. A live read needs code that
 * a read that stops when up to date does not: SSE connections, the tail
 * the client's live reads of a stream share (and the tabs of an app), the
 * live-request budget of HTTP/1.1 origins. That code loads on demand
 * (live-code.ts, a lazy chunk in a bundle), while the first live read
 * catches up, and makes the client's live reads once, from its options.
 */
export interface ClientReads {
  /**
   * The code of live reads: its load starts on the first call; the
   * Observable tells it once loaded (at once after that), or undefined
   * where it failed to load, or has not loaded within the client's
   * `timeoutMs` (live reads then go on without it).
   */
  liveCode(): Observable<LiveCode | undefined>;
  /**
   * The client's catch-ups in flight, which live reads of the same stream from the same offset share, where the
   * client was made with `catchUps: sharedCatchUps()`; undefined (the default): each read catches up on its own.
   */
  readonly catchUps: CatchUpShare | undefined;
}

/** The read path's part of a client's runtime (see {@link ClientReads}): `runtime.part(clientReads)`. */
export const clientReads: RuntimePart<ClientReads> = ({ options, http }) => {
  const loan: LiveReadsLoan = {
    liveRequestBudget: options.liveRequestBudget,
    shareAcrossTabs: options.shareAcrossTabs,
    scheduler: options.scheduler,
    // The client's own headers and params go only to the origins it trusts, as the requests do.
    credentials: (url) => (http.trusts(url) ? options : undefined),
    resolveDynamic,
    DurableStreamError,
    SseUnavailableError,
    TimeoutError,
    ParseError,
    ProtocolError,
    Header,
    mediaType,
    isJsonContentType,
    parseJsonArray,
    backoff: (retry, attempt) => backoffDelay(retry, attempt, undefined),
  };
  const load = () =>
    import('./live-code.js').then(({ sseConnection, liveReads }) => ({
      sseConnection: (read) => sseConnection(read, loan),
      reads: liveReads(loan),
    }));
  return {
    liveCode: loadOnce(load, options.timeoutMs, options.scheduler ?? asyncScheduler),
    catchUps: options.catchUps?.(),
  };
};

/**
 * What `load` gives, loaded once on the first call: the Observable tells it
 * once loaded (at once after that), or undefined where the load failed. A
 * load that has not settled within `boundMs` (a chunk whose request stalls)
 * is told as failed to whoever waits on it then, so no read waits on it for good.
 */
export function loadOnce<T>(
  load: () => Promise<T>,
  boundMs: number,
  scheduler: SchedulerLike,
): () => Observable<T | undefined> {
  let loading: Promise<void> | undefined;
  let settled: { readonly value: T | undefined } | undefined;
  return () => {
    loading ??= load().then(
      (value) => void (settled = { value }),
      () => void (settled = { value: undefined }),
    );
    const loaded = loading;
    return defer(() =>
      settled
        ? of(settled.value)
        : from(loaded).pipe(
            map(() => settled?.value),
            timeout({ first: boundMs, scheduler, with: () => of(undefined) }),
          ),
    );
  };
}
