import { validateDynamicRecord, type DynamicRecord } from '../http/dynamic-values.js';
import { checkOptionsObject } from '../errors/argument-checks.js';
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
  checkOptionsObject(options, url);
  // eslint-disable-next-line @typescript-eslint/no-deprecated -- the old names work for one more release
  const given = [options.from, options.offset, options.checkpoint].filter((start) => start !== undefined);
  if (given.length > 1) fail('Pass where a read starts once: from (offset and checkpoint are its old names)');
  const start = readStart(given.length ? given[0] : Offset.beginning);
  if (!start) {
    return fail(`A read starts from an offset (a non-empty string) or a checkpoint, got ${JSON.stringify(given[0])}`);
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
  const observer = options.connectionState as { next?: unknown } | null | undefined;
  if (observer !== undefined && typeof observer?.next !== 'function') {
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
    start,
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

/** Where a read starts, from an offset or a checkpoint (any extra field left behind); undefined when it is neither. */
function readStart(from: unknown): Checkpoint | undefined {
  const { offset, cursor } = (typeof from === 'string' ? { offset: from } : (from ?? {})) as Record<string, unknown>;
  if (typeof offset !== 'string' || !offset || (cursor !== undefined && typeof cursor !== 'string')) return undefined;
  return cursor === undefined ? { offset } : { offset, cursor };
}

function positive(name: string, value: number | undefined, fallback: number, fail: (message: string) => never): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0)
    fail(`${name} must be a positive number of milliseconds, got ${String(value)}`);
  return value;
}
