import { InvalidArgumentError } from '../errors/client-errors.js';
import { Header } from '../protocol/headers.js';
import type { RequestSpec } from '../http/request-spec.js';
import { expiresAtHeader, ttlHeader } from './validate.js';
import { errorFromResponse } from '../errors/error-from-response.js';

/** Options of `stream.fork()`. */
export interface ForkOptions {
  /** Where the fork diverges (exclusive); default: the source's current tail. */
  readonly offset?: string;
  /** Refines `offset`: JSON messages (JSON streams) or bytes past it. */
  readonly subOffset?: number;
  /** Must equal the source's content type when given. */
  readonly contentType?: string;
  readonly ttlSeconds?: number;
  readonly expiresAt?: Date | string;
}

export function forkRequest(targetUrl: string, sourceUrl: string, options: ForkOptions): RequestSpec {
  if (options.ttlSeconds !== undefined && options.expiresAt !== undefined) {
    throw new InvalidArgumentError('Pass ttlSeconds or expiresAt, not both', targetUrl);
  }
  if (options.subOffset !== undefined && (!Number.isSafeInteger(options.subOffset) || options.subOffset < 0)) {
    throw new InvalidArgumentError(`subOffset must be a whole number >= 0, got ${options.subOffset}`, targetUrl);
  }
  if (options.offset !== undefined && (typeof options.offset !== 'string' || options.offset.length === 0)) {
    throw new InvalidArgumentError('offset must be an offset string returned by the server', targetUrl);
  }
  const headers: Record<string, string> = { [Header.forkedFrom]: new URL(sourceUrl).pathname };
  if (options.offset !== undefined) headers[Header.forkOffset] = options.offset;
  if (options.subOffset !== undefined) headers[Header.forkSubOffset] = String(options.subOffset);
  if (options.contentType !== undefined) headers[Header.contentType] = options.contentType;
  const ttl = ttlHeader(options.ttlSeconds, targetUrl);
  const expiresAt = expiresAtHeader(options.expiresAt, targetUrl);
  if (ttl !== undefined) headers[Header.ttl] = ttl;
  if (expiresAt !== undefined) headers[Header.expiresAt] = expiresAt;
  return { method: 'PUT', url: targetUrl, headers, errorFrom: errorFromResponse };
}
