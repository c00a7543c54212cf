import type { Observable, SchedulerLike } from 'rxjs';
import { checkOptionsObject } from '../errors/argument-checks.js';
import type { Connectivity } from '../retry/connectivity.js';
import { resolveRetryConfig, type RetryConfig } from '../retry/retry-config.js';
import type { ClientRuntime } from './client-runtime.js';
import { validateDynamicRecord, type DynamicRecord } from './dynamic-values.js';
import type { ReadDecorator } from './read-decorator.js';
import type { RequestExecutor } from './request-executor.js';

/** Per-call additions, on any operation. */
export interface RequestOptions {
  /** Headers for this call, over the client's; functions are evaluated on every attempt. */
  readonly headers?: DynamicRecord;
  /** Query parameters for this call, over the client's. */
  readonly params?: DynamicRecord;
  /** Backoff for this call, over the client's. */
  readonly retry?: Partial<RetryConfig>;
}

/** Checks a call's options at the call: an object or nothing, with valid `headers`, `params` and `retry`. */
export function checkRequestOptions(options: RequestOptions | undefined, url: string): void {
  checkOptionsObject(options, url);
  if (!options) return;
  validateDynamicRecord('headers', options.headers);
  validateDynamicRecord('params', options.params);
  checkOptionsObject(options.retry, url, 'retry');
  if (options.retry) resolveRetryConfig(options.retry);
}

/**
 * What the operations, the read path and the producer need of a stream
 * handle: its URL and content type, and its client's runtime. They take
 * this, not the handle, so no module imports the handle back (no cycles).
 * The runtime's executor, timers, retry policy and network signals are
 * named here too, for the two layers that use them on every request.
 */
export interface StreamContext {
  /** The stream's absolute URL. */
  readonly url: string;
  /** The client's runtime: its options, and the parts its reads share (see {@link ClientRuntime}). */
  readonly runtime: ClientRuntime;
  /** Performs the stream's requests (the runtime's executor). */
  readonly http: RequestExecutor;
  /** Timers of backoff and timeouts (tests pass a TestScheduler); undefined for rxjs's `asyncScheduler`. */
  readonly scheduler: SchedulerLike | undefined;
  /** The client's header timeout, ms: a read's request timeouts derive from it. */
  readonly timeoutMs: number;
  /** The client's retry policy, which a read's or producer's own `retry` refines. */
  readonly retry: RetryConfig;
  /** Consecutive failures a live read retries unless the read says otherwise (absent: `Infinity`). */
  readonly liveMaxRetries?: number;
  /** The platform's network signals (back online, page restored, machine woke), shared by the client's reads. */
  readonly connectivity: Connectivity;
  /** Wraps every read of the client (the Angular provider's); undefined: reads as they are. */
  readonly decorateRead?: ReadDecorator | undefined;
  /**
   * What the stream's operations know of its content type. Learning it (a
   * HEAD, `learnContentType` in `operations/`) is left to the operations
   * that need it, so a bundle that never asks (a JSON read) does not carry it.
   */
  readonly contentType: KnownContentType;
}

/** What a stream's operations know of its content type: one per handle, shared by them. */
export interface KnownContentType {
  /** The content type when given, or learned by a create, fork or head; undefined until then. */
  value: string | undefined;
  /** The HEAD learning it, shared by concurrent callers while it runs. */
  learning?: Observable<string> | undefined;
}

/** The context of the stream at `url` of the client whose runtime is `runtime`; `contentType` when known. */
export function streamContext(url: string, runtime: ClientRuntime, contentType?: string): StreamContext {
  const { http, connectivity, options } = runtime;
  const { scheduler, timeoutMs, retry, liveMaxRetries, decorateRead } = options;
  return {
    url,
    runtime,
    http,
    scheduler,
    timeoutMs,
    retry,
    liveMaxRetries,
    connectivity,
    decorateRead,
    contentType: { value: contentType },
  };
}
