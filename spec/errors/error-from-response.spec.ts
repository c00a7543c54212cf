import {
  BadRequestError,
  ContentTypeMismatchError,
  DurableStreamError,
  errorFromResponse,
  ForbiddenError,
  GoneError,
  isRetryable,
  NetworkError,
  PayloadTooLargeError,
  RateLimitedError,
  SeqConflictError,
  SequenceGapError,
  ServerError,
  StaleEpochError,
  StreamClosedError,
  StreamExistsError,
  StreamNotFoundError,
  TimeoutError,
  UnauthorizedError,
  UnexpectedStatusError,
} from '../../lib/errors';
import { commonErrorFromResponse } from '../../lib/errors/common-error-from-response';
import { appendRequest, closeRequest } from '../../lib/operations/append';
import { createRequest } from '../../lib/operations/create';
import { forkRequest } from '../../lib/operations/fork';
import { PRODUCER_LOAN } from '../../lib/produce/producer-loan';
import { batchRequestSpec } from '../../lib/produce/send-batch';

const url = 'http://h/v1/stream/chat';
const post = { url, method: 'POST', headers: { 'content-type': 'application/json' } };
const put = { url, method: 'PUT', headers: {} };
const producer = { url, method: 'POST', headers: { 'producer-id': 'p', 'producer-epoch': '2', 'producer-seq': '7' } };

describe('errorFromResponse', () => {
  it.each([
    [400, {}, post, BadRequestError, 'BAD_REQUEST'],
    [401, {}, post, UnauthorizedError, 'UNAUTHORIZED'],
    [403, {}, post, ForbiddenError, 'FORBIDDEN'],
    [403, { 'producer-epoch': '5' }, producer, StaleEpochError, 'STALE_EPOCH'],
    [404, {}, post, StreamNotFoundError, 'STREAM_NOT_FOUND'],
    [409, {}, put, StreamExistsError, 'STREAM_EXISTS'],
    [409, {}, post, ContentTypeMismatchError, 'CONTENT_TYPE_MISMATCH'],
    [409, {}, { ...post, headers: { 'stream-seq': '001' } }, SeqConflictError, 'SEQUENCE_CONFLICT'],
    [409, { 'stream-closed': 'true', 'stream-next-offset': 'o9' }, post, StreamClosedError, 'STREAM_CLOSED'],
    [409, { 'producer-expected-seq': '3', 'producer-received-seq': '5' }, producer, SequenceGapError, 'SEQUENCE_GAP'],
    [410, {}, post, GoneError, 'GONE'],
    [413, {}, post, PayloadTooLargeError, 'PAYLOAD_TOO_LARGE'],
    [429, { 'retry-after': '2' }, post, RateLimitedError, 'RATE_LIMITED'],
    [500, {}, post, ServerError, 'SERVER_ERROR'],
    [503, { 'retry-after': '1' }, post, ServerError, 'SERVER_ERROR'],
    [405, {}, post, UnexpectedStatusError, 'UNEXPECTED_STATUS'],
  ])('maps %i %p to its typed error', (status, headers, request, type, code) => {
    const error = errorFromResponse(status, headers, '', request);
    expect(error).toBeInstanceOf(type);
    expect(error).toBeInstanceOf(DurableStreamError);
    expect(error).toMatchObject({ status, code, url, headers });
    expect(error.message).toContain(url);
    expect(error.name).toBe(type.name);
  });

  it('carries the protocol details each error needs', () => {
    expect(errorFromResponse(403, { 'producer-epoch': '5' }, '', producer)).toMatchObject({ currentEpoch: 5 });
    expect(errorFromResponse(409, { 'stream-closed': 'TRUE', 'stream-next-offset': 'o9' }, '', post)).toMatchObject({
      finalOffset: 'o9',
    });
    expect(
      errorFromResponse(409, { 'producer-expected-seq': '3', 'producer-received-seq': '5' }, '', producer),
    ).toMatchObject({
      expectedSeq: 3,
      receivedSeq: 5,
    });
    expect(errorFromResponse(429, { 'retry-after': '2' }, '', post)).toMatchObject({ retryAfterMs: 2000 });
    expect(errorFromResponse(503, { 'retry-after': '1.5' }, '', post)).toMatchObject({ retryAfterMs: 1500 });
    expect(errorFromResponse(429, {}, '', post)).toMatchObject({ retryAfterMs: undefined });
    // Retry-After is the server's word on 429 and 503 only; a 500 is backed off as usual.
    expect(errorFromResponse(500, { 'retry-after': '30' }, '', post)).toMatchObject({ retryAfterMs: undefined });
  });

  it('tells a 409 to an append with Stream-Seq apart by its body, as no header says which conflict it is', () => {
    const sequenced = { ...post, headers: { 'stream-seq': '001', 'content-type': 'text/plain' } };
    // The reference server's bodies for the two.
    expect(errorFromResponse(409, {}, 'Sequence conflict', sequenced)).toBeInstanceOf(SeqConflictError);
    expect(errorFromResponse(409, {}, 'Content-type mismatch', sequenced)).toMatchObject({
      code: 'CONTENT_TYPE_MISMATCH',
      message: expect.stringContaining("'text/plain'"),
    });
    expect(errorFromResponse(409, {}, 'content type does not match', sequenced)).toBeInstanceOf(
      ContentTypeMismatchError,
    );
  });

  it('treats Stream-Closed as set only when exactly "true"', () => {
    expect(errorFromResponse(409, { 'stream-closed': 'yes' }, '', post)).toBeInstanceOf(ContentTypeMismatchError);
  });

  it('a 403 without producer headers on the request is a plain ForbiddenError', () => {
    expect(errorFromResponse(403, { 'producer-epoch': '5' }, '', post)).toBeInstanceOf(ForbiddenError);
  });

  it('says what happened, on which stream, and what to do', () => {
    const error = errorFromResponse(404, {}, 'Stream not found', post);
    expect(error.message).toBe(
      `Stream not found (404) (${url}). Server said: Stream not found. Create it first with createStream(stream), or check the URL`,
    );
    expect(error.detail).toBe('Stream not found');
    expect(errorFromResponse(403, { 'producer-epoch': '5' }, '', producer).message).toMatch(
      /epoch 2 is stale; the server is at epoch 5/,
    );
  });

  it('only 5xx, 429, network and timeout errors are retryable', () => {
    expect(isRetryable(errorFromResponse(500, {}, '', post))).toBe(true);
    expect(isRetryable(errorFromResponse(429, {}, '', post))).toBe(true);
    expect(isRetryable(new NetworkError({ url, cause: new Error('x') }))).toBe(true);
    expect(isRetryable(new TimeoutError({ url, timeoutMs: 5 }))).toBe(true);
    for (const status of [400, 401, 403, 404, 409, 410, 413, 405]) {
      expect(isRetryable(errorFromResponse(status, {}, '', post))).toBe(false);
    }
    expect(isRetryable(new Error('plain'))).toBe(false);
  });
});

describe('commonErrorFromResponse (reads, HEAD, DELETE)', () => {
  const get = { url, method: 'GET', headers: {} };

  it('maps every status a request that is not a write meets as errorFromResponse does', () => {
    const cases: Array<[number, Record<string, string>]> = [
      [400, {}],
      [401, {}],
      [403, {}],
      [403, { 'producer-epoch': '5' }],
      [404, {}],
      [408, {}],
      [410, {}],
      [429, { 'retry-after': '2' }],
      [500, {}],
      [503, { 'retry-after': '1' }],
      [405, {}],
    ];
    for (const [status, headers] of cases) {
      const common = commonErrorFromResponse(status, headers, 'body', get);
      const full = errorFromResponse(status, headers, 'body', get);
      expect({ status, type: common.constructor, message: common.message }).toEqual({
        status,
        type: full.constructor,
        message: full.message,
      });
    }
  });

  it('leaves what only a write meets (409, 413, a producer fenced) to errorFromResponse: an unexpected status here', () => {
    expect(commonErrorFromResponse(403, { 'producer-epoch': '5' }, '', producer)).toBeInstanceOf(ForbiddenError);
    for (const headers of [{}, { 'stream-closed': 'true' }] as Array<Record<string, string>>)
      expect(commonErrorFromResponse(409, headers, '', get)).toBeInstanceOf(UnexpectedStatusError);
    expect(commonErrorFromResponse(413, {}, '', get)).toBeInstanceOf(UnexpectedStatusError);
    expect(errorFromResponse(409, {}, '', put)).toBeInstanceOf(StreamExistsError);
    expect(errorFromResponse(409, {}, '', post)).toBeInstanceOf(ContentTypeMismatchError);
    expect(errorFromResponse(409, { 'stream-closed': 'true' }, '', post)).toBeInstanceOf(StreamClosedError);
    expect(errorFromResponse(413, {}, '', post)).toBeInstanceOf(PayloadTooLargeError);
  });

  it('every write maps its errors with errorFromResponse', () => {
    const writes = [
      appendRequest(url, 'x', 'text/plain', {}),
      closeRequest(url, undefined, undefined),
      closeRequest(url, 'x', 'text/plain'),
      createRequest(url, {}),
      forkRequest(url, 'http://h/v1/stream/source', {}),
      batchRequestSpec(
        url,
        'p',
        { epoch: 0, seq: 0, body: 'x', contentType: 'text/plain', close: false } as never,
        {},
        PRODUCER_LOAN,
      ),
    ];
    for (const spec of writes) expect(spec.errorFrom).toBe(errorFromResponse);
  });
});
