import { InvalidArgumentError } from '../errors/client-errors.js';
import { Header } from '../protocol/headers.js';
import type { RequestSpec } from '../http/request-spec.js';
import type { RetrySafety } from '../retry/retry-safety.js';
import type { HttpResponse } from '../transport/http-transport.js';
import { checkBody } from './validate.js';
import { errorFromResponse } from '../errors/error-from-response.js';

/** Options of `stream.append()`. */
export interface AppendOptions {
  /** Writer sequence (`Stream-Seq`): must be byte-wise greater than the last one, or the server answers 409. */
  readonly seq?: string;
  /** Overrides the stream's content type for this request. */
  readonly contentType?: string;
  /**
   * What a failure may cost. `'at-most-once'` (default): retried only where
   * the server surely did not apply it (refused connection, 408, 429, 503),
   * so it is never written twice, but may be lost. `'at-least-once'`:
   * retried after any retryable failure (a 500, a reset connection, a
   * timeout), so it may be written twice. For exactly-once, use an
   * idempotent producer.
   */
  readonly delivery?: Delivery;
}

/** How often a plain append may land: see {@link AppendOptions.delivery}. */
export type Delivery = 'at-most-once' | 'at-least-once';

/** Checks `delivery`; the retry safety it asks for. */
export function deliverySafety(delivery: Delivery | undefined, url: string): RetrySafety {
  if (delivery === undefined || delivery === 'at-most-once') return 'unsafe';
  if (delivery === 'at-least-once') return 'idempotent';
  throw new InvalidArgumentError(`delivery must be 'at-most-once' or 'at-least-once', got '${String(delivery)}'`, url);
}

/** What an append emits. */
export interface AppendResult {
  /** The tail after this append. */
  readonly nextOffset: string;
}

/** What `close()` emits. */
export interface CloseResult {
  /** The stream's final offset: readers reaching it see EOF. */
  readonly finalOffset: string;
}

export function appendRequest(url: string, data: Uint8Array | string, contentType: string, options: AppendOptions): RequestSpec {
  const body = checkBody(data, url);
  if (body.length === 0) {
    throw new InvalidArgumentError('Cannot append empty data: the protocol rejects empty appends (use close() to end a stream)', url);
  }
  if (options.seq !== undefined && (typeof options.seq !== 'string' || options.seq.length === 0)) {
    throw new InvalidArgumentError(`seq must be a non-empty string, got '${String(options.seq)}'`, url);
  }
  const headers: Record<string, string> = { [Header.contentType]: options.contentType ?? contentType };
  if (options.seq !== undefined) headers[Header.seq] = options.seq;
  return { method: 'POST', url, headers, body, errorFrom: errorFromResponse };
}

export function closeRequest(url: string, body: Uint8Array | string | undefined, contentType: string | undefined): RequestSpec {
  const headers: Record<string, string> = { [Header.closed]: 'true' };
  if (body === undefined) return { method: 'POST', url, headers, errorFrom: errorFromResponse };
  const checked = checkBody(body, url, 'body');
  if (contentType) headers[Header.contentType] = contentType;
  return { method: 'POST', url, headers, body: checked, errorFrom: errorFromResponse };
}

export function appendResult(response: HttpResponse): AppendResult {
  return { nextOffset: response.headers.get(Header.nextOffset) ?? '' };
}

export function closeResult(response: HttpResponse): CloseResult {
  return { finalOffset: response.headers.get(Header.nextOffset) ?? '' };
}
