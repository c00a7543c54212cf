import { Header, isTrueFlag, parseRetryAfterMs } from '../protocol/headers.js';
import type { DurableStreamError, ErrorHeaders } from './durable-stream-error.js';
import type { FailedRequest } from './error-from-response.js';
import {
  BadRequestError,
  ContentTypeMismatchError,
  ForbiddenError,
  GoneError,
  PayloadTooLargeError,
  RateLimitedError,
  RequestTimeoutError,
  ServerError,
  StreamClosedError,
  StreamNotFoundError,
  UnauthorizedError,
  UnexpectedStatusError,
} from './http-errors.js';

/**
 * Maps an error response to its typed error, for the statuses any request
 * can meet (a read, a HEAD, a DELETE...). Pure: status, headers and body
 * text in, error out. The flavours only a write can meet (a producer's
 * fencing and gaps, a create's conflict, a `Stream-Seq` conflict) are told
 * apart by `errorFromResponse`, which the writes use: so a read-only app
 * does not carry them.
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
    case 409:
      return isTrueFlag(headers[Header.closed])
        ? new StreamClosedError({ ...init, finalOffset: headers[Header.nextOffset] })
        : new ContentTypeMismatchError({ ...init, sentContentType: request.headers[Header.contentType] });
    case 408:
      return new RequestTimeoutError(init);
    case 410:
      return new GoneError(init);
    case 413:
      return new PayloadTooLargeError(init);
    case 429:
      return new RateLimitedError({ ...init, retryAfterMs });
    default:
      // Retry-After means something on 503 (and 429), not on other 5xx.
      if (status >= 500) return new ServerError(status === 503 ? { ...init, retryAfterMs } : init);
      return new UnexpectedStatusError(init);
  }
}
