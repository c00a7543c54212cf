import type { Observable } from 'rxjs';
import { mustBe } from '../errors/argument-checks.js';
import { InvalidArgumentError } from '../errors/client-errors.js';
import { Header, WriteHeader } from '../protocol/headers.js';
import type { RequestSpec } from '../http/request-spec.js';
import type { RequestOptions } from '../http/stream-context.js';
import type { DurableStream } from '../http/stream-handle.js';
import type { RetrySafety } from '../retry/retry-safety.js';
import type { HttpResponse } from '../transport/http-transport.js';
import { errorFromResponse } from '../errors/error-from-response.js';
import { withContentType } from './head-stream.js';
import { oneShot, operationOn } from './one-shot.js';
import { checkBody, checkContentType, toJson } from './validate.js';

/** Options of {@link append} and {@link appendJson}. */
export interface AppendOptions extends RequestOptions {
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
export function deliverySafety(delivery: unknown, url: string): RetrySafety {
  if (delivery === undefined || delivery === 'at-most-once') return 'unsafe';
  if (delivery === 'at-least-once') return 'idempotent';
  throw mustBe('delivery', "'at-most-once' or 'at-least-once'", delivery, url);
}

/** What an append emits. */
export interface AppendResult {
  /** The tail after this append. */
  readonly nextOffset: string;
}

/** Options of {@link closeStream}. */
export interface CloseStreamOptions extends RequestOptions {
  /** A last message, appended atomically with the close. */
  readonly body?: Uint8Array | string;
  /** What a failure of a close with a `body` may cost: see {@link AppendOptions.delivery}. */
  readonly delivery?: Delivery;
}

/** What {@link closeStream} emits. */
export interface CloseResult {
  /** The stream's final offset: readers reaching it see EOF. */
  readonly finalOffset: string;
}

/** Checks an append's data and `seq` (at the call): the body to send. */
export function appendBody(data: unknown, options: AppendOptions, url: string): Uint8Array | string {
  const body = checkBody(data, url);
  if (body.length === 0) {
    throw new InvalidArgumentError(
      'Cannot append empty data: the protocol rejects empty appends (use closeStream() to end a stream)',
      url,
    );
  }
  if (options.seq !== undefined && (typeof options.seq !== 'string' || options.seq.length === 0)) {
    throw mustBe('seq', 'a non-empty string', options.seq, url);
  }
  checkContentType(options.contentType, url);
  return body;
}

/** The request of an append of `data`, checked (see {@link appendBody}). */
export function appendRequest(
  url: string,
  data: Uint8Array | string,
  contentType: string,
  options: AppendOptions,
): RequestSpec {
  const body = appendBody(data, options, url);
  const headers: Record<string, string> = { [Header.contentType]: options.contentType ?? contentType };
  if (options.seq !== undefined) headers[WriteHeader.seq] = options.seq;
  return { method: 'POST', url, headers, body, errorFrom: errorFromResponse };
}

export function closeRequest(
  url: string,
  body: Uint8Array | string | undefined,
  contentType: string | undefined,
): RequestSpec {
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

/**
 * Appends bytes or text (POST) with the stream's content type (learned with
 * one HEAD unless known). On a JSON stream the text is sent as it is, so a
 * top-level array is flattened into several messages: use {@link appendJson}
 * for one value. At most once by default: retried only where the server
 * surely did not apply it, so never written twice; `delivery: 'at-least-once'`
 * retries any retryable failure. Cold.
 */
export function append(
  stream: DurableStream,
  data: Uint8Array | string,
  options: AppendOptions = {},
): Observable<AppendResult> {
  const internals = operationOn(stream, options);
  appendBody(data, options, stream.url);
  const safety = deliverySafety(options.delivery, stream.url);
  return withContentType(internals, options.contentType, options, (contentType) =>
    oneShot(
      internals,
      () => appendRequest(stream.url, data, contentType, options),
      options,
      appendResult,
      safety,
      'append',
    ),
  );
}

/**
 * Appends one JSON value as one message (wrapped in an array, which the
 * server flattens). The value's type is the handle's: a `DurableStream<Order>`
 * takes an `Order`. Cold.
 */
export function appendJson<T>(
  stream: DurableStream<T>,
  value: NoInfer<T>,
  options: AppendOptions = {},
): Observable<AppendResult> {
  operationOn(stream, options);
  // Serialized now: a value JSON cannot carry is refused at the call, and what is sent is the value as it was then.
  return append(stream, `[${toJson(value, stream.url)}]`, { contentType: 'application/json', ...options });
}

/**
 * Closes the stream (EOF), optionally appending a last `body` atomically.
 * Closing a closed stream succeeds; with a body it fails with
 * `StreamClosedError`, as the body cannot be appended. Cold.
 */
export function closeStream(stream: DurableStream, options: CloseStreamOptions = {}): Observable<CloseResult> {
  const internals = operationOn(stream, options);
  const body = options.body === undefined ? undefined : checkBody(options.body, stream.url, 'body');
  if (body === undefined) {
    return oneShot(
      internals,
      () => closeRequest(stream.url, undefined, undefined),
      options,
      closeResult,
      'idempotent',
      'close',
    );
  }
  const safety = deliverySafety(options.delivery, stream.url);
  return withContentType(internals, undefined, options, (contentType) =>
    oneShot(internals, () => closeRequest(stream.url, body, contentType), options, closeResult, safety, 'close'),
  );
}
