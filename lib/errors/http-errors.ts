import { DurableStreamError, type DurableStreamErrorInit } from './durable-stream-error.js';

// Fields set by a constructor are `declare`d, as in DurableStreamError (bundle size).

type Init = DurableStreamErrorInit;

/** 400: the server rejected the request as malformed. */
export class BadRequestError extends DurableStreamError {
  override name = 'BadRequestError';
  constructor(init: Init) {
    super('BAD_REQUEST', 'Bad request (400)', {
      hint: 'Check the offset, headers and body sent; repeating it will not help',
      ...init,
    });
  }
}

/** 401: credentials are missing or expired. */
export class UnauthorizedError extends DurableStreamError {
  override name = 'UnauthorizedError';
  constructor(init: Init) {
    super('UNAUTHORIZED', 'Authentication required (401)', {
      hint: 'Pass credentials in the client `headers` option (a function there runs per request: refreshed tokens are sent)',
      ...init,
    });
  }
}

/** 403: the credentials do not allow this operation. */
export class ForbiddenError extends DurableStreamError {
  override name = 'ForbiddenError';
  constructor(init: Init) {
    super('FORBIDDEN', 'Forbidden (403)', {
      hint: 'Send credentials that grant access to this stream',
      ...init,
    });
  }
}

/** 403 with `Producer-Epoch`: another producer with a newer epoch owns this producer id. */
export class StaleEpochError extends DurableStreamError {
  override name = 'StaleEpochError';
  /** The server's current epoch for the producer id. */
  declare readonly currentEpoch: number;
  constructor(init: Init & { readonly currentEpoch: number; readonly sentEpoch?: number }) {
    super(
      'STALE_EPOCH',
      `Producer epoch ${init.sentEpoch ?? '?'} is stale; the server is at epoch ${init.currentEpoch} (403)`,
      {
        hint: 'A newer instance of this producer took over: stop this one, or restart with a higher epoch (or autoClaim)',
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
    super('STREAM_EXISTS', 'A stream with another configuration exists at this URL (409)', {
      hint: 'Use it as it is (see head()), or delete it first',
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
      `Content type ${init.sentContentType ? `'${init.sentContentType}' ` : ''}is not the stream's (409)`,
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
    super('SEQUENCE_CONFLICT', `Stream-Seq '${init.seq ?? '?'}' is not above the last one written (409)`, {
      hint: 'This write was not applied; Stream-Seq values must increase (byte-wise)',
      ...init,
    });
  }
}

/** 409 with `Stream-Closed: true`: the stream is closed (EOF) and takes no appends. */
export class StreamClosedError extends DurableStreamError {
  override name = 'StreamClosedError';
  /** The stream's final offset, when the server sent it. */
  declare readonly finalOffset: string | undefined;
  constructor(init: Init & { readonly finalOffset?: string }) {
    super('STREAM_CLOSED', 'The stream is closed to appends (409)', {
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
  declare readonly expectedSeq: number;
  /** The sequence number the request carried. */
  declare readonly receivedSeq: number;
  constructor(init: Init & { readonly expectedSeq: number; readonly receivedSeq: number }) {
    super('SEQUENCE_GAP', `Producer seq gap: expected ${init.expectedSeq}, got ${init.receivedSeq} (409)`, {
      hint: 'An earlier batch has not arrived; the producer retries',
      ...init,
    });
    this.expectedSeq = init.expectedSeq;
    this.receivedSeq = init.receivedSeq;
  }
}

/** 410: the stream was deleted, or the offset is before the retained data. */
export class GoneError extends DurableStreamError {
  override name = 'GoneError';
  constructor(init: Init) {
    super('GONE', 'The stream or this offset is gone (410)', {
      hint: 'Deleted, or dropped by retention; resume from head().nextOffset',
      ...init,
    });
  }
}

/** 413: the body exceeds the server's limit. */
export class PayloadTooLargeError extends DurableStreamError {
  override name = 'PayloadTooLargeError';
  constructor(init: Init) {
    super('PAYLOAD_TOO_LARGE', 'Request body too large for the server (413)', {
      hint: 'Send smaller appends (for a producer: lower maxBatchBytes)',
      ...init,
    });
  }
}

/** 408: the server gave up waiting for the request; it did not handle it. Retried with backoff. */
export class RequestTimeoutError extends DurableStreamError {
  override name = 'RequestTimeoutError';
  constructor(init: Init) {
    super('REQUEST_TIMEOUT', 'The server did not get the whole request in time (408)', {
      hint: 'It was not applied (a slow or interrupted upload), so it is safe to repeat',
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
  declare readonly retryAfterMs: number | undefined;
  constructor(init: Init & { readonly retryAfterMs?: number }) {
    super('RATE_LIMITED', 'Rate limited (429)', {
      hint: 'If it persists, send fewer requests',
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
  declare readonly retryAfterMs: number | undefined;
  constructor(init: Init & { readonly retryAfterMs?: number }) {
    super('SERVER_ERROR', `Server error (${init.status ?? 500})`, {
      hint: 'If it persists, check the server',
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
    super('UNEXPECTED_STATUS', `Unexpected status ${init.status ?? 0}`, {
      hint: 'The server may not support this operation on this URL',
      ...init,
    });
  }
}
