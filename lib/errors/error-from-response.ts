import { Header, parseIntegerHeader, parseRetryAfterMs, isTrueFlag } from '../protocol/headers.js';
import type { DurableStreamError, ErrorHeaders } from './durable-stream-error.js';
import {
  BadRequestError,
  ContentTypeMismatchError,
  ForbiddenError,
  GoneError,
  PayloadTooLargeError,
  RateLimitedError,
  RequestTimeoutError,
  SeqConflictError,
  SequenceGapError,
  ServerError,
  StaleEpochError,
  StreamClosedError,
  StreamExistsError,
  StreamNotFoundError,
  UnauthorizedError,
  UnexpectedStatusError,
} from './http-errors.js';

/** What the mapper knows about the request that failed. */
export interface FailedRequest {
  readonly url: string;
  readonly method: string;
  /** Request headers (lower-case), to tell apart the 409 flavours. */
  readonly headers: Readonly<Record<string, string>>;
}

/**
 * Maps an error response to its typed error. Pure: status, headers and body
 * text in, error out. The 403 and 409 flavours are told apart by the
 * protocol's headers (the response's, and the request's), with one
 * exception: a 409 to an append that carried `Stream-Seq` is a sequence
 * conflict or a content-type mismatch, and no header says which, so there
 * the body decides (a body naming the content type is a mismatch, as the
 * reference server's `Content-type mismatch` is).
 */
export function errorFromResponse(
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
    case 403: {
      const currentEpoch = parseIntegerHeader(headers[Header.producerEpoch]);
      if (currentEpoch !== undefined && request.headers[Header.producerId] !== undefined) {
        return new StaleEpochError({ ...init, currentEpoch, sentEpoch: parseIntegerHeader(request.headers[Header.producerEpoch]) });
      }
      return new ForbiddenError(init);
    }
    case 404:
      return new StreamNotFoundError(init);
    case 409:
      return conflictError(init, headers, request);
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

function conflictError(
  init: { url: string; status: number; headers: ErrorHeaders; detail: string },
  headers: ErrorHeaders,
  request: FailedRequest,
): DurableStreamError {
  if (isTrueFlag(headers[Header.closed])) {
    return new StreamClosedError({ ...init, finalOffset: headers[Header.nextOffset] });
  }
  const expectedSeq = parseIntegerHeader(headers[Header.producerExpectedSeq]);
  if (expectedSeq !== undefined) {
    const receivedSeq = parseIntegerHeader(headers[Header.producerReceivedSeq]) ?? parseIntegerHeader(request.headers[Header.producerSeq]) ?? -1;
    return new SequenceGapError({ ...init, expectedSeq, receivedSeq });
  }
  if (request.method === 'PUT') return new StreamExistsError(init);
  // The only branch that reads the body: see errorFromResponse.
  if (request.headers[Header.seq] !== undefined && !/content.type/i.test(init.detail)) {
    return new SeqConflictError({ ...init, seq: request.headers[Header.seq] });
  }
  return new ContentTypeMismatchError({ ...init, sentContentType: request.headers[Header.contentType] });
}
