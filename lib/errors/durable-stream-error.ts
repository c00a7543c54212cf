/** Header values captured from a failed response, lower-cased names. */
export type ErrorHeaders = Readonly<Record<string, string>>;

/** What a {@link DurableStreamError} knows about the request that failed. */
export interface DurableStreamErrorInit {
  /** The stream URL the request addressed; empty when no stream is concerned. */
  readonly url: string;
  /** HTTP status, or 0 when no response arrived. */
  readonly status?: number;
  /** Response headers, when a response arrived. */
  readonly headers?: ErrorHeaders;
  /** What the caller can do about it; appended to the message. */
  readonly hint?: string;
  /** The underlying error (network failure, parse error...). */
  readonly cause?: unknown;
  /** Response body text, when the server sent an explanation. */
  readonly detail?: string;
}

/**
 * The base of every error this SDK raises. Each says which stream, what
 * happened and what to do, and carries the response's status and headers.
 */
export class DurableStreamError extends Error {
  /**
   * The class's name (`'NetworkError'`): every subclass names itself with a literal, so the name survives a minifier
   * (which renames classes) into production logs.
   */
  override name = 'DurableStreamError';
  // The fields a constructor sets are `declare`d (here and in the subclasses): an ES2022 field declaration would be
  // emitted, and run as a definition of its own before the constructor sets it (bundle size, issue #23 item 5).
  /** Machine-readable code, stable across versions (e.g. `STREAM_NOT_FOUND`). */
  declare readonly code: string;
  /** HTTP status, or 0 when no response arrived. */
  declare readonly status: number;
  /** The stream URL the failed request addressed. */
  declare readonly url: string;
  /** Response headers (lower-cased names), empty when no response arrived. */
  declare readonly headers: ErrorHeaders;
  /** Response body text, when the server sent one. */
  declare readonly detail: string | undefined;
  /** How many times the request was tried, this failure included, before the error reached you (1: it was not retried). */
  readonly attempts: number = 1;

  constructor(code: string, what: string, init: DurableStreamErrorInit) {
    const detail = init.detail?.trim();
    // An empty url means the error concerns no particular stream (a bad option).
    const parts = [
      init.url ? `${what} (${init.url})` : what,
      detail && `Server said: ${detail.slice(0, 300)}`,
      init.hint,
    ].filter((part): part is string => Boolean(part));
    // A part's own closing period is dropped before the join, not every '..' after it: a path like '../x' stays whole.
    const message = parts.map((part, i) => (i < parts.length - 1 ? part.replace(/\.$/, '') : part)).join('. ');
    super(message, init.cause === undefined ? undefined : { cause: init.cause });
    this.code = code;
    this.status = init.status ?? 0;
    this.url = init.url;
    this.headers = init.headers ?? {};
    this.detail = detail || undefined;
  }

  /** Whether repeating the same request may succeed (5xx, 429, network, timeout). */
  get isRetryable(): boolean {
    return false;
  }
}

/** Whether `error` is one this SDK would retry: see {@link DurableStreamError.isRetryable}. */
export function isRetryable(error: unknown): boolean {
  return error instanceof DurableStreamError && error.isRetryable;
}

/**
 * Records on `error` how often its request was tried, and appends `note` to
 * its message: what the retrying did, told only by the code that did it, so
 * a message never claims a retry that did not happen. Internal.
 */
export function noteRetries(error: DurableStreamError, attempts: number, note: string | undefined): DurableStreamError {
  (error as { attempts: number }).attempts = attempts;
  if (note) error.message = `${error.message.replace(/\.?$/, '.')} ${note}`;
  return error;
}
