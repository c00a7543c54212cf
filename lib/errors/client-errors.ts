import { DurableStreamError, type DurableStreamErrorInit } from './durable-stream-error.js';

/** No response arrived: connection refused or reset, DNS failure, aborted socket. */
export class NetworkError extends DurableStreamError {
  /**
   * True when the connection could not be opened, so the request never left
   * this process: repeating even a non-idempotent write is safe.
   */
  readonly notSent: boolean;
  constructor(init: DurableStreamErrorInit & { readonly notSent?: boolean }) {
    super('NETWORK_ERROR', `Network error: ${describeCause(init.cause)}`, {
      hint: 'Retried automatically with backoff; check that the server is reachable',
      ...init,
    });
    this.notSent = init.notSent ?? false;
  }
  override get isRetryable(): boolean {
    return true;
  }
}

/** No response within the configured time. */
export class TimeoutError extends DurableStreamError {
  readonly timeoutMs: number;
  constructor(init: DurableStreamErrorInit & { readonly timeoutMs: number }) {
    super('TIMEOUT', `No response within ${init.timeoutMs} ms`, {
      hint: 'Retried automatically where safe; raise `timeoutMs` if the server is slow',
      ...init,
    });
    this.timeoutMs = init.timeoutMs;
  }
  override get isRetryable(): boolean {
    return true;
  }
}

/** The server sent something that is not valid JSON or SSE. Never skipped silently. */
export class ParseError extends DurableStreamError {
  /** The offset of the response that could not be parsed. */
  readonly offset: string | undefined;
  constructor(init: DurableStreamErrorInit & { readonly offset?: string; readonly what: string }) {
    super('PARSE_ERROR', `${init.what}${init.offset === undefined ? '' : ` at offset ${init.offset}`}`, {
      hint: 'The data at this offset is not in the expected format; nothing after it was delivered',
      ...init,
    });
    this.offset = init.offset;
  }
}

/** A header or query-parameter function (client or call option) threw, rejected, or returned no string. */
export class DynamicValueError extends DurableStreamError {
  /** Which entry failed, e.g. `headers['authorization']`. */
  readonly entry: string;
  constructor(init: DurableStreamErrorInit & { readonly entry: string; readonly got?: string }) {
    super(
      'DYNAMIC_VALUE_FAILED',
      init.got === undefined ? `The function for ${init.entry} failed: ${describeCause(init.cause)}` : `The function for ${init.entry} returned ${init.got}, not a string`,
      { hint: 'Nothing was sent; fix the function (it runs before every request, retry and reconnect)', ...init },
    );
    this.entry = init.entry;
  }
}

/** A caller passed an invalid argument or option. Thrown synchronously or emitted before any I/O. */
export class InvalidArgumentError extends DurableStreamError {
  constructor(message: string, url = '') {
    super('INVALID_ARGUMENT', message, { url });
  }
}

function describeCause(cause: unknown): string {
  if (cause instanceof Error) {
    const code = (cause as { code?: unknown }).code ?? (cause.cause as { code?: unknown } | undefined)?.code;
    const inner = cause.cause instanceof Error ? cause.cause.message : undefined;
    return [typeof code === 'string' ? code : undefined, inner ?? cause.message].filter(Boolean).join(' ');
  }
  return cause === undefined ? 'request failed' : String(cause);
}
