import type { Observable } from 'rxjs';
import { InvalidArgumentError } from '../errors/client-errors.js';
import { Header, isTrueFlag, WriteHeader } from '../protocol/headers.js';
import type { RequestSpec } from '../http/request-spec.js';
import type { RequestOptions } from '../http/stream-context.js';
import type { DurableStream } from '../http/stream-handle.js';
import type { HttpResponse } from '../transport/http-transport.js';
import { oneShot, operationOn } from './one-shot.js';
import { checkBody, checkContentType, expiresAtHeader, ttlHeader } from './validate.js';
import { errorFromResponse } from '../errors/error-from-response.js';

/** Options of {@link createStream}. */
export interface CreateStreamOptions extends RequestOptions {
  /** The stream's content type; `application/json` selects JSON mode. Default `application/octet-stream`. */
  readonly contentType?: string;
  /** Sliding time-to-live in seconds (reset by every read and write). */
  readonly ttlSeconds?: number;
  /** Absolute expiry. Not together with `ttlSeconds`. */
  readonly expiresAt?: Date | string;
  /** Create the stream already closed: `body` is its whole content. */
  readonly closed?: boolean;
  /** Initial content. */
  readonly body?: Uint8Array | string;
}

/** What {@link createStream} emits. */
export interface CreateResult {
  /** The tail after any initial content. */
  readonly nextOffset: string;
  /** The stream's content type, as the server reports it. */
  readonly contentType: string;
  /** False when an identical stream already existed (200 instead of 201). */
  readonly created: boolean;
  /** Whether the stream is closed (EOF), as when created with `closed: true`. */
  readonly closed: boolean;
}

export const DEFAULT_CONTENT_TYPE = 'application/octet-stream';

export function createRequest(url: string, options: CreateStreamOptions): RequestSpec {
  if (options.ttlSeconds !== undefined && options.expiresAt !== undefined) {
    throw new InvalidArgumentError('Pass ttlSeconds or expiresAt, not both', url);
  }
  checkContentType(options.contentType, url);
  const headers: Record<string, string> = { [Header.contentType]: options.contentType ?? DEFAULT_CONTENT_TYPE };
  const ttl = ttlHeader(options.ttlSeconds, url);
  const expiresAt = expiresAtHeader(options.expiresAt, url);
  if (ttl !== undefined) headers[WriteHeader.ttl] = ttl;
  if (expiresAt !== undefined) headers[WriteHeader.expiresAt] = expiresAt;
  if (options.closed) headers[Header.closed] = 'true';
  return {
    method: 'PUT',
    url,
    headers,
    errorFrom: errorFromResponse,
    ...(options.body === undefined ? {} : { body: checkBody(options.body, url, 'body') }),
  };
}

export function createResult(response: HttpResponse, requested: string): CreateResult {
  return {
    nextOffset: response.headers.get(Header.nextOffset) ?? '',
    contentType: response.headers.get(Header.contentType) ?? requested,
    created: response.status === 201,
    closed: isTrueFlag(response.headers.get(Header.closed)),
  };
}

/**
 * Creates the stream (PUT). Emits `created: false` when an identical stream
 * already existed. Cold: sent on subscribe, aborted on unsubscribe.
 */
export function createStream(stream: DurableStream, options: CreateStreamOptions = {}): Observable<CreateResult> {
  const internals = operationOn(stream, options);
  // Built at the call, so a bad option fails there.
  const request = createRequest(stream.url, options);
  return oneShot(
    internals,
    () => request,
    options,
    (response) => {
      const result = createResult(response, options.contentType ?? DEFAULT_CONTENT_TYPE);
      internals.context.contentType.value = result.contentType;
      return result;
    },
    'idempotent',
    'create',
  );
}
