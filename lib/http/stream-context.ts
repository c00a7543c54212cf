import type { Observable } from 'rxjs';
import type { RetryConfig } from '../retry/retry-config.js';
import type { DynamicRecord } from './dynamic-values.js';
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

/**
 * What the read and produce rooms need of a stream handle. They take this,
 * not the handle, so no module imports the handle back (no cycles).
 */
export interface StreamContext {
  /** The stream's absolute URL. */
  readonly url: string;
  readonly http: RequestExecutor;
  /**
   * The stream's content type: known, or learned once with a HEAD. When
   * `options` has headers or params, the HEAD carries them too (the
   * caller's credentials), and is not shared.
   */
  contentType(options?: Pick<RequestOptions, 'headers' | 'params'>): Observable<string>;
}
