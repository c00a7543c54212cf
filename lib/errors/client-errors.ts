import { DurableStreamError, type DurableStreamErrorInit } from './durable-stream-error.js';

// Fields set by a constructor are `declare`d, as in DurableStreamError (bundle size).

/** No response arrived: connection refused or reset, DNS failure, aborted socket. */
export class NetworkError extends DurableStreamError {
  override name = 'NetworkError';
  /**
   * True when the connection could not be opened, so the request never left
   * this process: repeating even a non-idempotent write is safe.
   */
  declare readonly notSent: boolean;
  constructor(init: DurableStreamErrorInit & { readonly notSent?: boolean }) {
    super('NETWORK_ERROR', `Network error: ${describeCause(init.cause)}`, {
      hint: `${init.notSent ? 'No connection could be opened; c' : 'C'}heck that the server is reachable`,
      ...init,
    });
    this.notSent = init.notSent ?? false;
  }
  override get isRetryable(): boolean {
    return true;
  }
}

/**
 * Where a request was when its time ran out:
 * - `connection`: still waiting for a connection (queued behind other
 *   requests to the origin, or connecting): it was never sent;
 * - `headers`: sent; the server sent no response headers in time;
 * - `response`: no response headers in time, and the transport cannot tell
 *   whether the wait was for a connection or for the server;
 * - `body`: the headers came, then the body went silent for that long (a
 *   half-open connection, a stalled proxy, an SSE connection without events).
 */
export type TimeoutPhase = 'connection' | 'headers' | 'response' | 'body';

const TIMEOUT_WHAT: Readonly<Record<TimeoutPhase, (ms: number) => string>> = {
  connection: (ms) => `No connection within ${ms} ms: the request was never sent`,
  headers: (ms) => `No response headers within ${ms} ms of sending the request`,
  response: (ms) => `No response headers within ${ms} ms (waiting for a connection included)`,
  body: (ms) => `The response stalled: no data for ${ms} ms after its headers`,
};

const TIMEOUT_HINT: Readonly<Record<TimeoutPhase, string>> = {
  connection:
    'Too many requests for the connections to this origin (undiciTransport({ connections })), or the server is not accepting any',
  headers: 'The server is slow or unreachable; if slow, raise `timeoutMs`',
  response: 'The server is slow or unreachable, or its connections are busy; if slow, raise `timeoutMs`',
  body: 'A half-open connection or a stalled proxy; the connection was closed',
};

/** No response, or no more of it, within the configured time. See {@link TimeoutPhase}. */
export class TimeoutError extends DurableStreamError {
  override name = 'TimeoutError';
  /** The bound that ran out, ms. */
  declare readonly timeoutMs: number;
  /** Where the request was when the time ran out. */
  declare readonly phase: TimeoutPhase;
  constructor(init: DurableStreamErrorInit & { readonly timeoutMs: number; readonly phase?: TimeoutPhase }) {
    const phase = init.phase ?? 'response';
    super('TIMEOUT', TIMEOUT_WHAT[phase](init.timeoutMs), { hint: TIMEOUT_HINT[phase], ...init });
    this.timeoutMs = init.timeoutMs;
    this.phase = phase;
  }
  override get isRetryable(): boolean {
    return true;
  }
}

/** The server sent something that is not valid JSON or SSE. Never skipped silently. */
export class ParseError extends DurableStreamError {
  override name = 'ParseError';
  /** The offset of the response that could not be parsed. */
  declare readonly offset: string | undefined;
  constructor(init: DurableStreamErrorInit & { readonly offset?: string; readonly what: string }) {
    super('PARSE_ERROR', `${init.what}${init.offset === undefined ? '' : ` at offset ${init.offset}`}`, {
      hint: 'Nothing after it was delivered; check what wrote it',
      ...init,
    });
    this.offset = init.offset;
  }
}

/** A header or query-parameter function (client or call option) threw, rejected, or returned no string (or a header value with a control character). */
export class DynamicValueError extends DurableStreamError {
  override name = 'DynamicValueError';
  /** Which entry failed, e.g. `headers['authorization']`. */
  declare readonly entry: string;
  constructor(
    init: DurableStreamErrorInit & { readonly entry: string; readonly got?: string; readonly problem?: string },
  ) {
    super(
      'DYNAMIC_VALUE_FAILED',
      init.problem !== undefined
        ? `The function for ${init.entry} returned a value that cannot be sent: ${init.problem}`
        : init.got === undefined
          ? `The function for ${init.entry} failed: ${describeCause(init.cause)}`
          : `The function for ${init.entry} returned ${init.got}, not a string`,
      { hint: 'Nothing was sent; fix the function (it runs before every request and retry)', ...init },
    );
    this.entry = init.entry;
  }
}

/** A caller passed an invalid argument or option. Thrown synchronously or emitted before any I/O. */
export class InvalidArgumentError extends DurableStreamError {
  override name = 'InvalidArgumentError';
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
  // Whatever was thrown, as it prints (a thrown object without a message prints as what it is).
  // eslint-disable-next-line @typescript-eslint/no-base-to-string
  return cause === undefined ? 'request failed' : String(cause);
}
