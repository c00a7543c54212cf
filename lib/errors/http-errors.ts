import { DurableStreamError, type DurableStreamErrorInit } from './durable-stream-error.js';

type Init = DurableStreamErrorInit;

/** 400: the server rejected the request as malformed. */
export class BadRequestError extends DurableStreamError {
  override name = 'BadRequestError';
  constructor(init: Init) {
    super('BAD_REQUEST', 'The server rejected the request as invalid (400)', {
      hint: 'Check the offset, headers and body you passed; this request will not succeed if repeated',
      ...init,
    });
  }
}

/** 401: credentials are missing or expired. */
export class UnauthorizedError extends DurableStreamError {
  override name = 'UnauthorizedError';
  constructor(init: Init) {
    super('UNAUTHORIZED', 'The server requires authentication (401)', {
      hint: 'Provide credentials in the client `headers` option (a function is evaluated on every request, so a refreshed token is picked up)',
      ...init,
    });
  }
}

/** 403: the credentials do not allow this operation. */
export class ForbiddenError extends DurableStreamError {
  override name = 'ForbiddenError';
  constructor(init: Init) {
    super('FORBIDDEN', 'The server refused this operation (403)', {
      hint: 'The credentials sent do not grant access to this stream',
      ...init,
    });
  }
}

/** 403 with `Producer-Epoch`: another producer with a newer epoch owns this producer id. */
export class StaleEpochError extends DurableStreamError {
  override name = 'StaleEpochError';
  /** The server's current epoch for the producer id. */
  readonly currentEpoch: number;
  constructor(init: Init & { readonly currentEpoch: number; readonly sentEpoch?: number }) {
    super(
      'STALE_EPOCH',
      `Producer epoch ${init.sentEpoch ?? '?'} is stale; the server is at epoch ${init.currentEpoch} (403)`,
      {
        hint: 'A newer instance of this producer has taken over (zombie fencing). Stop this one, or restart with a higher epoch (or use autoClaim)',
        ...init,
      },
    );
    this.currentEpoch = init.currentEpoch;
  }
}

/** 404: no stream at this URL (or the fork source does not exist). */
export class StreamNotFoundError extends DurableStreamError {
  override name = 'StreamNotFoundError';
  constructor(init: Init) {
    super('STREAM_NOT_FOUND', 'Stream not found (404)', {
      hint: 'Create it first with createStream(stream), or check the URL',
      ...init,
    });
  }
}

/** 409: a stream already exists at this URL with a different configuration. */
export class StreamExistsError extends DurableStreamError {
  override name = 'StreamExistsError';
  constructor(init: Init) {
    super('STREAM_EXISTS', 'A stream already exists at this URL with a different configuration (409)', {
      hint: 'Use the existing stream as it is (head() shows its configuration), or delete it first',
      ...init,
    });
  }
}

/** 409: the request's Content-Type differs from the stream's. */
export class ContentTypeMismatchError extends DurableStreamError {
  override name = 'ContentTypeMismatchError';
  constructor(init: Init & { readonly sentContentType?: string }) {
    super(
      'CONTENT_TYPE_MISMATCH',
      `Content type ${init.sentContentType ? `'${init.sentContentType}' ` : ''}does not match the stream's content type (409)`,
      {
        hint: "Append with the stream's own content type (head().contentType)",
        ...init,
      },
    );
  }
}

/** 409: `Stream-Seq` was not greater than the last one written. */
export class SeqConflictError extends DurableStreamError {
  override name = 'SeqConflictError';
  constructor(init: Init & { readonly seq?: string }) {
    super('SEQUENCE_CONFLICT', `Stream-Seq '${init.seq ?? '?'}' is not greater than the last sequence written (409)`, {
      hint: 'Sequence values must strictly increase (byte-wise lexicographic); this write was not applied',
      ...init,
    });
  }
}

/** 409 with `Stream-Closed: true`: the stream is closed (EOF) and takes no appends. */
export class StreamClosedError extends DurableStreamError {
  override name = 'StreamClosedError';
  /** The stream's final offset, when the server sent it. */
  readonly finalOffset: string | undefined;
  constructor(init: Init & { readonly finalOffset?: string }) {
    super('STREAM_CLOSED', 'The stream is closed and accepts no more appends (409)', {
      hint: 'Closure is permanent; write to a new stream, or fork this one',
      ...init,
    });
    this.finalOffset = init.finalOffset;
  }
}

/** 409 with `Producer-Expected-Seq`: the producer skipped a sequence number. */
export class SequenceGapError extends DurableStreamError {
  override name = 'SequenceGapError';
  /** The sequence number the server expected next. */
  readonly expectedSeq: number;
  /** The sequence number the request carried. */
  readonly receivedSeq: number;
  constructor(init: Init & { readonly expectedSeq: number; readonly receivedSeq: number }) {
    super(
      'SEQUENCE_GAP',
      `Producer sequence gap: the server expected seq ${init.expectedSeq}, got ${init.receivedSeq} (409)`,
      {
        hint: 'An earlier batch has not arrived; the producer waits for it and retries',
        ...init,
      },
    );
    this.expectedSeq = init.expectedSeq;
    this.receivedSeq = init.receivedSeq;
  }
}

/** 410: the stream was deleted, or the offset is before the retained data. */
export class GoneError extends DurableStreamError {
  override name = 'GoneError';
  constructor(init: Init) {
    super('GONE', 'The stream or this offset is gone (410)', {
      hint: 'The data before this point was dropped by retention, or the stream was deleted; resume from head().nextOffset',
      ...init,
    });
  }
}

/** 413: the body exceeds the server's limit. */
export class PayloadTooLargeError extends DurableStreamError {
  override name = 'PayloadTooLargeError';
  constructor(init: Init) {
    super('PAYLOAD_TOO_LARGE', 'The request body is larger than the server accepts (413)', {
      hint: 'Send smaller appends (for a producer: lower maxBatchBytes)',
      ...init,
    });
  }
}

/** 408: the server gave up waiting for the request; it did not handle it. Retried with backoff. */
export class RequestTimeoutError extends DurableStreamError {
  override name = 'RequestTimeoutError';
  constructor(init: Init) {
    super('REQUEST_TIMEOUT', 'The server timed out waiting for the request (408)', {
      hint: 'The request did not reach the server whole, so it was not applied; a slow or interrupted upload causes this',
      ...init,
    });
  }
  override get isRetryable(): boolean {
    return true;
  }
}

/** 429: too many requests; retried after `retryAfterMs`. */
export class RateLimitedError extends DurableStreamError {
  override name = 'RateLimitedError';
  /** The server's Retry-After, in milliseconds, when it sent one. */
  readonly retryAfterMs: number | undefined;
  constructor(init: Init & { readonly retryAfterMs?: number }) {
    super('RATE_LIMITED', 'The server is rate limiting requests (429)', {
      hint: 'The server asks for fewer requests; if it persists, lower the request rate',
      ...init,
    });
    this.retryAfterMs = init.retryAfterMs;
  }
  override get isRetryable(): boolean {
    return true;
  }
}

/** 5xx: the server failed; retried with backoff. */
export class ServerError extends DurableStreamError {
  override name = 'ServerError';
  /** The server's Retry-After (503), in milliseconds, when it sent one. */
  readonly retryAfterMs: number | undefined;
  constructor(init: Init & { readonly retryAfterMs?: number }) {
    super('SERVER_ERROR', `The server failed to handle the request (${init.status ?? 500})`, {
      hint: 'A transient failure of the server, or a lasting one: if it persists, check the server',
      ...init,
    });
    this.retryAfterMs = init.retryAfterMs;
  }
  override get isRetryable(): boolean {
    return true;
  }
}

/** Any other unexpected status (e.g. 405 on a read-only server). */
export class UnexpectedStatusError extends DurableStreamError {
  override name = 'UnexpectedStatusError';
  constructor(init: Init) {
    super('UNEXPECTED_STATUS', `Unexpected response status ${init.status ?? 0}`, {
      hint: 'The server may not support this operation on this URL',
      ...init,
    });
  }
}
