import type { Observable } from 'rxjs';
import { mustBe } from '../errors/argument-checks.js';
import { InvalidArgumentError } from '../errors/client-errors.js';
import { Header, WriteHeader } from '../protocol/headers.js';
import { resolveStreamUrl } from '../protocol/url.js';
import type { RequestSpec } from '../http/request-spec.js';
import type { RequestOptions } from '../http/stream-context.js';
import { isStreamHandle, type DurableStream } from '../http/stream-handle.js';
import { createResult, DEFAULT_CONTENT_TYPE, type CreateResult } from './create.js';
import { newStream } from './new-stream.js';
import { oneShot, operationOn } from './one-shot.js';
import { checkContentType, expiresAtHeader, ttlHeader } from './validate.js';
import { errorFromResponse } from '../errors/error-from-response.js';

/** Options of {@link forkStream}. */
export interface ForkStreamOptions extends RequestOptions {
  /** Where the fork diverges (exclusive); default: the source's current tail. */
  readonly offset?: string;
  /** Refines `offset`: JSON messages (JSON streams) or bytes past it. */
  readonly subOffset?: number;
  /** Must equal the source's content type when given. */
  readonly contentType?: string;
  /** The fork's sliding time-to-live in seconds. Not together with `expiresAt`. */
  readonly ttlSeconds?: number;
  /** The fork's absolute expiry. Not together with `ttlSeconds`. */
  readonly expiresAt?: Date | string;
}

export function forkRequest(targetUrl: string, sourceUrl: string, options: ForkStreamOptions): RequestSpec {
  if (options.ttlSeconds !== undefined && options.expiresAt !== undefined) {
    throw new InvalidArgumentError('Pass ttlSeconds or expiresAt, not both', targetUrl);
  }
  if (options.subOffset !== undefined && (!Number.isSafeInteger(options.subOffset) || options.subOffset < 0)) {
    throw new InvalidArgumentError(`subOffset must be a whole number >= 0, got ${options.subOffset}`, targetUrl);
  }
  checkContentType(options.contentType, targetUrl);
  if (options.offset !== undefined && (typeof options.offset !== 'string' || options.offset.length === 0)) {
    throw new InvalidArgumentError('offset must be an offset string returned by the server', targetUrl);
  }
  const headers: Record<string, string> = { [WriteHeader.forkedFrom]: new URL(sourceUrl).pathname };
  if (options.offset !== undefined) headers[WriteHeader.forkOffset] = options.offset;
  if (options.subOffset !== undefined) headers[WriteHeader.forkSubOffset] = String(options.subOffset);
  if (options.contentType !== undefined) headers[Header.contentType] = options.contentType;
  const ttl = ttlHeader(options.ttlSeconds, targetUrl);
  const expiresAt = expiresAtHeader(options.expiresAt, targetUrl);
  if (ttl !== undefined) headers[WriteHeader.ttl] = ttl;
  if (expiresAt !== undefined) headers[WriteHeader.expiresAt] = expiresAt;
  return { method: 'PUT', url: targetUrl, headers, errorFrom: errorFromResponse };
}

/** What {@link forkStream} emits. */
export interface ForkResult<T = unknown> extends CreateResult {
  /** A handle on the new stream, of the source's type. */
  readonly stream: DurableStream<T>;
}

/**
 * Forks `stream` into `target` (a handle, a path relative to the client's
 * `baseUrl`, or a URL on the same server), inheriting its data up to
 * `offset` (default: the current tail). Sent through the source's client.
 * The fork's handle has the source's type. Cold.
 */
export function forkStream<T = unknown>(
  stream: DurableStream<T>,
  target: DurableStream<T> | string,
  options: ForkStreamOptions = {},
): Observable<ForkResult<T>> {
  const source = operationOn(stream, options);
  const { runtime } = source.context;
  const targetUrl = isStreamHandle(target) ? target.url : forkTargetUrl(target, runtime.options.baseUrl, stream.url);
  // Built at the call, so a bad option fails there.
  const request = forkRequest(targetUrl, stream.url, options);
  return oneShot(
    source,
    () => request,
    options,
    (response) => {
      const result = createResult(
        response,
        options.contentType ?? source.context.contentType.value ?? DEFAULT_CONTENT_TYPE,
      );
      return { ...result, stream: newStream<T>(runtime, targetUrl, result.contentType) };
    },
    'idempotent',
    'create',
  );
}

/** The URL of a fork target given as a path or URL (a handle gives its own), resolved as `client.stream()` resolves one. */
function forkTargetUrl(target: unknown, baseUrl: string | undefined, sourceUrl: string): string {
  if (typeof target !== 'string' || target.trim() === '') {
    throw mustBe(
      'target',
      "a handle (client.stream(path)), or the fork's path (relative to the client's baseUrl) or URL",
      target,
      sourceUrl,
    );
  }
  try {
    return resolveStreamUrl(baseUrl ?? new URL(sourceUrl).origin, target);
  } catch (error) {
    throw new InvalidArgumentError(`target: ${(error as Error).message}`, sourceUrl);
  }
}
