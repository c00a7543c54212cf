import { Header, parseRetryAfterMs } from '../protocol/headers.js';
import type { DurableStreamError, ErrorHeaders } from './durable-stream-error.js';
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
  const init = { url: request.url, status, headers, detail: bodyText };
  const retryAfterMs = parseRetryAfterMs(headers[Header.retryAfter]);
  switch (status) {
    case 400:
      return new BadRequestError(init);
    case 401:
      return new UnauthorizedError(init);
    case 403:
      return new ForbiddenError(init);
    case 404:
      return new StreamNotFoundError(init);
    case 408:
      return new RequestTimeoutError(init);
    case 410:
      return new GoneError(init);
    case 429:
      return new RateLimitedError({ ...init, retryAfterMs });
    default:
      // Retry-After means something on 503 (and 429), not on other 5xx.
      if (status >= 500) return new ServerError(status === 503 ? { ...init, retryAfterMs } : init);
      return new UnexpectedStatusError(init);
  }
}
