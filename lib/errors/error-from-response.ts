import { Header, isTrueFlag, parseIntegerHeader, WriteHeader } from '../protocol/headers.js';
import { commonErrorFromResponse } from './common-error-from-response.js';
import type { DurableStreamError, ErrorHeaders } from './durable-stream-error.js';
import {
  ContentTypeMismatchError,
  PayloadTooLargeError,
  SeqConflictError,
  SequenceGapError,
  StaleEpochError,
  StreamClosedError,
  StreamExistsError,
} from './http-errors.js';

/** What the mapper knows about the request that failed. */
export interface FailedRequest {
  readonly url: string;
  readonly method: string;
  /** Request headers (lower-case), to tell apart the 409 flavours. */
  readonly headers: Readonly<Record<string, string>>;
}

/** Maps an error response to its typed error: the shape of every mapper. */
export type ErrorMapper = (
  status: number,
  headers: ErrorHeaders,
  bodyText: string,
  request: FailedRequest,
) => DurableStreamError;

/**
 * Maps an error response to its typed error. Pure: status, headers and body
 * text in, error out. The 403 and 409 flavours are told apart by the
 * protocol's headers (the response's, and the request's), with one
 * exception: a 409 to an append that carried `Stream-Seq` is a sequence
 * conflict or a content-type mismatch, and no header says which, so there
 * the body decides (a body naming the content type is a mismatch, as the
 * reference server's `Content-type mismatch` is).
 *
 * The writes (create, fork, append, close, the producer, subscriptions) map
 * with this one; other requests with `commonErrorFromResponse`, the same
 * minus what only a write meets (409, 413, a producer's 403), so a
 * read-only app does not carry those classes.
 */
export function errorFromResponse(
  status: number,
  headers: ErrorHeaders,
  bodyText: string,
  request: FailedRequest,
): DurableStreamError {
  const init = { url: request.url, status, headers, detail: bodyText };
  if (status === 403) {
    const currentEpoch = parseIntegerHeader(headers[WriteHeader.producerEpoch]);
    if (currentEpoch !== undefined && request.headers[WriteHeader.producerId] !== undefined) {
      return new StaleEpochError({
        ...init,
        currentEpoch,
        sentEpoch: parseIntegerHeader(request.headers[WriteHeader.producerEpoch]),
      });
    }
  }
  if (status === 409 && !isTrueFlag(headers[Header.closed])) {
    const expectedSeq = parseIntegerHeader(headers[WriteHeader.producerExpectedSeq]);
    if (expectedSeq !== undefined) {
      const receivedSeq =
        parseIntegerHeader(headers[WriteHeader.producerReceivedSeq]) ??
        parseIntegerHeader(request.headers[WriteHeader.producerSeq]) ??
        -1;
      return new SequenceGapError({ ...init, expectedSeq, receivedSeq });
    }
    if (request.method === 'PUT') return new StreamExistsError(init);
    // The only branch that reads the body: see above.
    if (request.headers[WriteHeader.seq] !== undefined && !/content.type/i.test(bodyText)) {
      return new SeqConflictError({ ...init, seq: request.headers[WriteHeader.seq] });
    }
  }
  if (status === 409)
    return isTrueFlag(headers[Header.closed])
      ? new StreamClosedError({ ...init, finalOffset: headers[Header.nextOffset] })
      : new ContentTypeMismatchError({ ...init, sentContentType: request.headers[Header.contentType] });
  if (status === 413) return new PayloadTooLargeError(init);
  return commonErrorFromResponse(status, headers, bodyText, request);
}
