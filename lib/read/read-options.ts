import type { DynamicRecord } from '../http/dynamic-values.js';
import type { RequestOptions } from '../http/stream-context.js';
import type { DurableStreamError } from '../errors/durable-stream-error.js';
import type { Checkpoint, Offset } from '../protocol/offset.js';
import type { ConnectionStateObserver } from './connection-state.js';

/**
 * How a read continues once it has caught up:
 * - `false`: it does not; the read completes at the first up-to-date response.
 * - `'long-poll'`: repeated requests the server holds open until data arrives.
 * - `'sse'`: one Server-Sent Events connection, reopened when the server ends it.
 * - `'auto'`: SSE, falling back to long-poll for the rest of the read when
 *   SSE turns out not to work (refused, wrong content type, or silent).
 */
export type LiveMode = false | 'long-poll' | 'sse' | 'auto';

/** What an `onError` handler may return: headers and params to retry with. */
export interface ReadRetryWith {
  /** Merged over the read's headers for this and every later request of the read. */
  readonly headers?: DynamicRecord;
  /** Merged over the read's params likewise. */
  readonly params?: DynamicRecord;
}

/**
 * The answer of an `onError` handler:
 * - an object: retry (even an error that is not normally retryable, such as
 *   401) with these headers and params, after the usual backoff delay;
 * - `'stop'`: fail the read now with this error, even if it is retryable;
 * - `undefined`: the default: retry retryable errors, fail on the others.
 * Retries stay bounded by `retry.maxRetries` consecutive failures (for a
 * live read, by default, they are not bounded).
 */
export type ReadErrorDecision = ReadRetryWith | 'stop' | undefined | void;

/**
 * Called on every failed request of a read (SSE reconnects included), with
 * the number of consecutive failures so far (1-based). May be async, e.g.
 * to refresh a token.
 */
export type ReadErrorHandler = (
  error: DurableStreamError,
  attempt: number,
) => ReadErrorDecision | Promise<ReadErrorDecision>;

/** Options of `readBytes()`, `readText()` and `readJson()`. */
export interface ReadOptions extends RequestOptions {
  /**
   * Where the read starts: `Offset.beginning` (the default), `Offset.now`
   * (only what is appended from now on), an offset a chunk gave, or a
   * chunk's `checkpoint` (its offset and cursor: resumes after that chunk
   * with no gap and no duplicate).
   */
  readonly from?: Offset | Checkpoint;
  /**
   * Where to start, as an offset.
   * @deprecated Use `from` (`{ from: offset }`); `offset` is removed in the next release.
   */
  readonly offset?: Offset;
  /**
   * Where to start, as a chunk's checkpoint.
   * @deprecated Use `from` (`{ from: checkpoint }`); `checkpoint` is removed in the next release.
   */
  readonly checkpoint?: Checkpoint;
  /** Whether and how to keep reading after catching up. Default `'auto'`. */
  readonly live?: LiveMode;
  /** Called on every failed request: see {@link ReadErrorHandler}. */
  readonly onError?: ReadErrorHandler;
  /**
   * Longest wait for the headers of a long-poll response, ms. Must exceed
   * the server's long-poll wait (30 s on the reference server). Default:
   * the client's `timeoutMs` + 60 000. Unless set, a long-poll is also left
   * once silent for 1.5 times the interval at which the server was seen to
   * answer idle long-polls (at least 5 s): a server that died behind a proxy
   * holding the connection. Set, it is the only bound.
   */
  readonly longPollTimeoutMs?: number;
  /**
   * `'auto'` only: how long to wait for the first SSE event before deciding
   * SSE does not get through (a buffering proxy) and switching to long-poll, ms. Default 10 000.
   */
  readonly sseFallbackTimeoutMs?: number;
  /**
   * Longest silence on an SSE connection before it is reopened from the
   * last offset, ms: any event (data or control) restarts it. Servers send
   * a keep-alive control event every long-poll interval. Default: as
   * `longPollTimeoutMs`, and, unless set, 1.5 times the keep-alive interval
   * the read has seen (at least 5 s) once it has seen one.
   */
  readonly sseIdleTimeoutMs?: number;
  /**
   * Told where the read's connection stands whenever that changes:
   * connecting, catching up, live (SSE or long-poll), reconnecting (attempt,
   * next try, last error), offline, closed. A `Subject`, a
   * `BehaviorSubject`, or `{ next: (state) => signal.set(state) }`: only
   * `next` is called. See {@link ConnectionState}.
   */
  readonly connectionState?: ConnectionStateObserver;
}
