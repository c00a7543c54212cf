import type { Observable } from 'rxjs';
import type { RequestOptions, StreamContext } from '../http/stream-context.js';
import type { RequestSpec } from '../http/request-spec.js';
import type { HttpResponse } from '../transport/http-transport.js';
import type { ProducerLoan } from './producer-loan.js';

/** What the sender is lent (see `PRODUCER_LOAN`: it runs in the producer's lazy chunk). */
type SenderLoan = Pick<
  ProducerLoan,
  'Header' | 'WriteHeader' | 'errorFromResponse' | 'missingProtocolHeaders' | 'notProtocolAnswer'
>;

/** One producer request: a batch under its (epoch, seq). */
export interface BatchRequest {
  readonly epoch: number;
  readonly seq: number;
  /** Undefined for `closeStream()` without a last value. */
  readonly body: Uint8Array | undefined;
  readonly contentType: string;
  /** Close the stream atomically with this batch (`Stream-Closed: true`). */
  readonly close: boolean;
}

/** What a 200 or 204 said. */
export interface BatchResponse {
  /** The tail after the batch; absent on a duplicate. */
  readonly nextOffset: string | undefined;
  /** 204 to a batch with a body: an earlier attempt had already been written. */
  readonly duplicate: boolean;
}

/**
 * One attempt at sending a batch: emits the response once, or fails with a
 * typed error (`StaleEpochError`, `SequenceGapError`, `NetworkError`...).
 * Retries are the delivery's (`deliverBatches`). The producer's only I/O:
 * tests inject their own.
 */
export type BatchSender = (request: BatchRequest) => Observable<BatchResponse>;

/** The request for one batch (PROTOCOL.md 5.2.1); pure. */
export function batchRequestSpec(
  url: string,
  producerId: string,
  request: BatchRequest,
  options: RequestOptions,
  lent: SenderLoan,
): RequestSpec {
  const { Header, WriteHeader } = lent;
  const headers: Record<string, string> = {
    [WriteHeader.producerId]: producerId,
    [WriteHeader.producerEpoch]: String(request.epoch),
    [WriteHeader.producerSeq]: String(request.seq),
  };
  // A close-only request has no body, so no content type to match (PROTOCOL.md 5.2).
  if (request.body !== undefined) headers[Header.contentType] = request.contentType;
  if (request.close) headers[Header.closed] = 'true';
  return {
    method: 'POST',
    url,
    headers,
    ...(request.body === undefined ? {} : { body: request.body }),
    // In order on one connection where the transport can: out-of-order arrival costs a 409 and a resend.
    lane: `producer:${url} ${producerId}`,
    userHeaders: options.headers,
    userParams: options.params,
    errorFrom: lent.errorFromResponse,
  };
}

/**
 * What a 2xx to a batch says. Pure but for freeing the connection. An
 * answer without the protocol's headers (a wrong base URL, an app's
 * fallback page answering 200 to anything) acknowledges nothing: it fails
 * with a `ProtocolError`, which stops the producer.
 */
export function batchResponse(
  response: HttpResponse,
  request: BatchRequest,
  url: string,
  lent: SenderLoan,
): BatchResponse {
  const { Header } = lent;
  // Frees the connection for the next batch; success bodies are empty.
  void response.body.dump();
  const missing = lent.missingProtocolHeaders('producer-append', response.status, response.headers);
  if (missing)
    throw lent.notProtocolAnswer({
      url,
      status: response.status,
      contentType: response.headers.get(Header.contentType),
      missing,
    });
  return {
    nextOffset: response.headers.get(Header.nextOffset) ?? undefined,
    // A close-only request gets 204 whether or not it was a repeat: no way to tell.
    duplicate: response.status === 204 && request.body !== undefined,
  };
}

/** Sends batches over the client's transport, one attempt each. */
export function httpBatchSender(
  context: StreamContext,
  producerId: string,
  options: RequestOptions,
  lent: SenderLoan,
): BatchSender {
  const { http, url } = context;
  return (request) =>
    http.attempt(batchRequestSpec(url, producerId, request, options, lent), (response) => [
      batchResponse(response, request, url, lent),
    ]);
}
