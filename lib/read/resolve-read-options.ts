import { validateDynamicRecord, type DynamicRecord } from '../http/dynamic-values.js';
import { InvalidArgumentError } from '../errors/client-errors.js';
import { resolveRetryConfig, type RetryConfig } from '../retry/retry-config.js';
import { Offset, type Checkpoint } from '../protocol/offset.js';
import type { ConnectionStateObserver } from './connection-state.js';
import type { LiveMode, ReadErrorHandler, ReadOptions } from './read-options.js';

/** Read options validated, defaults filled in. */
export interface ResolvedReadOptions {
  readonly start: Checkpoint;
  /** `start` is known to be the tail (a shared tail starts where a read caught up): the first request is live. */
  readonly startsLive?: boolean;
  readonly live: LiveMode;
  readonly headers: DynamicRecord | undefined;
  readonly params: DynamicRecord | undefined;
  readonly retry: RetryConfig;
  readonly onError: ReadErrorHandler | undefined;
  readonly connectionState: ConnectionStateObserver | undefined;
  readonly timeoutMs: number;
  readonly longPollTimeoutMs: number;
  readonly sseFallbackTimeoutMs: number;
  readonly sseIdleTimeoutMs: number;
  /**
   * Whether a live request's silence is bounded by what the read learns of
   * the server's keep-alive interval (up to the timeout above), per kind:
   * unless the read's options set that kind's timeout, which is then fixed.
   */
  readonly learnsLiveness: { readonly longPoll: boolean; readonly sse: boolean };
}

/** Long-poll waits happen before the response headers, so their timeout must outlast the server's wait. */
export const LONG_POLL_MARGIN_MS = 60_000;
export const DEFAULT_SSE_FALLBACK_TIMEOUT_MS = 10_000;

const LIVE_MODES: ReadonlyArray<LiveMode> = [false, 'long-poll', 'sse', 'auto'];

/** Validates read options against the client's; throws `InvalidArgumentError` naming the bad one. */
export function resolveReadOptions(
  options: ReadOptions,
  client: { readonly timeoutMs: number; readonly retry: RetryConfig; readonly liveMaxRetries?: number | undefined },
  url: string,
): ResolvedReadOptions {
  const fail = (message: string): never => {
    throw new InvalidArgumentError(message, url);
  };
  if (options.offset !== undefined && options.checkpoint !== undefined) {
    fail('Pass either offset or checkpoint to a read, not both');
  }
  const start: Checkpoint = options.checkpoint ?? { offset: options.offset ?? Offset.beginning };
  if (typeof start.offset !== 'string' || start.offset === '') {
    fail(
      `A read's offset must be a non-empty string (an offset the server returned, '-1' or 'now'), got ${JSON.stringify(start.offset)}`,
    );
  }
  if (start.cursor !== undefined && typeof start.cursor !== 'string') {
    fail(`checkpoint.cursor must be a string, got ${typeof start.cursor}`);
  }
  const live = options.live ?? 'auto';
  if (!LIVE_MODES.includes(live)) {
    fail(`live must be false, 'long-poll', 'sse' or 'auto', got '${String(live)}'`);
  }
  try {
    validateDynamicRecord('headers', options.headers);
    validateDynamicRecord('params', options.params);
  } catch (error) {
    fail((error as Error).message);
  }
  if (options.connectionState !== undefined && typeof options.connectionState?.next !== 'function') {
    fail('connectionState must have a next(state) method (a Subject, or { next: (state) => ... })');
  }
  if (options.onError !== undefined && typeof options.onError !== 'function') {
    fail('onError must be a function (error, attempt) => { headers, params } | "stop" | undefined');
  }
  let retry: RetryConfig;
  try {
    // A live read outlasts any outage unless its options, or the client's, bound it.
    const maxRetries =
      options.retry?.maxRetries ?? (live === false ? client.retry.maxRetries : (client.liveMaxRetries ?? Infinity));
    retry = resolveRetryConfig({ ...client.retry, ...options.retry, maxRetries });
  } catch (error) {
    return fail((error as Error).message);
  }
  const longPollTimeoutMs = positive(
    'longPollTimeoutMs',
    options.longPollTimeoutMs,
    client.timeoutMs + LONG_POLL_MARGIN_MS,
    fail,
  );
  return {
    start: start.cursor === undefined ? { offset: start.offset } : { offset: start.offset, cursor: start.cursor },
    live,
    headers: options.headers,
    params: options.params,
    retry,
    onError: options.onError,
    connectionState: options.connectionState,
    timeoutMs: client.timeoutMs,
    longPollTimeoutMs,
    sseFallbackTimeoutMs: positive(
      'sseFallbackTimeoutMs',
      options.sseFallbackTimeoutMs,
      DEFAULT_SSE_FALLBACK_TIMEOUT_MS,
      fail,
    ),
    sseIdleTimeoutMs: positive('sseIdleTimeoutMs', options.sseIdleTimeoutMs, longPollTimeoutMs, fail),
    learnsLiveness: {
      longPoll: options.longPollTimeoutMs === undefined,
      sse: options.sseIdleTimeoutMs === undefined,
    },
  };
}

function positive(name: string, value: number | undefined, fallback: number, fail: (message: string) => never): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0)
    fail(`${name} must be a positive number of milliseconds, got ${String(value)}`);
  return value;
}
