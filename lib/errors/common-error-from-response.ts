import { Header, parseRetryAfterMs } from '../protocol/headers.js';
import type { DurableStreamError, DurableStreamErrorInit, ErrorHeaders } from './durable-stream-error.js';
import type { FailedRequest } from './error-from-response.js';
import {
  BadRequestError,
  ForbiddenError,
  GoneError,
  RateLimitedError,
  RequestTimeoutError,
  ServerError,
  StreamNotFoundError,
  UnauthorizedError,
  UnexpectedStatusError,
} from './http-errors.js';

/**
 * Maps an error response to its typed error, for the statuses any request
 * can meet (a read, a HEAD, a DELETE...). Pure: status, headers and body
 * text in, error out. What only a write can meet (409: a closed stream, a
 * content-type mismatch, a producer's gaps, a create's conflict, a
 * `Stream-Seq` conflict; 413: a body too large; 403 with a producer's
 * fencing) is told apart by `errorFromResponse`, which the writes use: so a
 * read-only app does not carry it. Here a 409 or 413 is an unexpected status.
 */
export function commonErrorFromResponse(
  status: number,
  headers: ErrorHeaders,
  bodyText: string,
  request: FailedRequest,
): DurableStreamError {
  // Retry-After means something on 429 and 503, not on other statuses.
  const retryAfterMs = status === 429 || status === 503 ? parseRetryAfterMs(headers[Header.retryAfter]) : undefined;
  const ErrorClass = BY_STATUS[status] ?? (status >= 500 ? ServerError : UnexpectedStatusError);
  return new ErrorClass({ url: request.url, status, headers, detail: bodyText, retryAfterMs });
}

/** The error of each status any request can meet, but 5xx (`ServerError`) and the unexpected ones. */
const BY_STATUS: Readonly<
  Record<number, new (init: DurableStreamErrorInit & { retryAfterMs?: number }) => DurableStreamError>
> = {
  400: BadRequestError,
  401: UnauthorizedError,
  403: ForbiddenError,
  404: StreamNotFoundError,
  408: RequestTimeoutError,
  410: GoneError,
  429: RateLimitedError,
};
