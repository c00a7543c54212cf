import { mustBe } from '../errors/argument-checks.js';
import { InvalidArgumentError } from '../errors/client-errors.js';

/** Stream-TTL: a non-negative integer in plain decimal (PROTOCOL.md 5.1). */
export function ttlHeader(ttlSeconds: number | undefined, url: string): string | undefined {
  if (ttlSeconds === undefined) return undefined;
  if (!Number.isSafeInteger(ttlSeconds) || ttlSeconds < 0) {
    throw new InvalidArgumentError(`ttlSeconds must be a whole number of seconds >= 0, got ${ttlSeconds}`, url);
  }
  return String(ttlSeconds);
}

/** Stream-Expires-At: an RFC 3339 timestamp, from a Date or a string. */
export function expiresAtHeader(expiresAt: Date | string | undefined, url: string): string | undefined {
  if (expiresAt === undefined) return undefined;
  const date = expiresAt instanceof Date ? expiresAt : new Date(expiresAt);
  if (Number.isNaN(date.getTime())) {
    throw new InvalidArgumentError(
      `expiresAt must be a Date or an RFC 3339 timestamp, got '${String(expiresAt)}'`,
      url,
    );
  }
  return expiresAt instanceof Date ? date.toISOString() : expiresAt;
}

/** A `contentType` option: a non-empty string, or nothing. */
export function checkContentType(contentType: unknown, url: string): void {
  if (contentType !== undefined && (typeof contentType !== 'string' || contentType === ''))
    throw mustBe('contentType', 'a media type', contentType, url);
}

/** Bodies are bytes or UTF-8 text; anything else is a caller mistake. */
export function checkBody(body: unknown, url: string, what = 'data'): Uint8Array | string {
  if (typeof body === 'string' || body instanceof Uint8Array) return body;
  throw new InvalidArgumentError(
    `${what} must be a Uint8Array or a string, got ${body === null ? 'null' : typeof body}; use appendJson() for values`,
    url,
  );
}

/** Serializes one JSON value, refusing what JSON cannot carry. */
export function toJson(value: unknown, url: string): string {
  let text: string | undefined;
  try {
    text = JSON.stringify(value);
  } catch (error) {
    throw new InvalidArgumentError(`value is not serializable as JSON: ${(error as Error).message}`, url);
  }
  if (text === undefined) {
    throw new InvalidArgumentError(`value is not serializable as JSON (got ${typeof value})`, url);
  }
  return text;
}
