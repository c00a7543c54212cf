/**
 * Protocol header names, lower-case as both transports deliver them: those a read sends or meets (every
 * request's answer), apart from {@link WriteHeader}'s, so that a read carries only these.
 */
export const Header = {
  contentType: 'content-type',
  nextOffset: 'stream-next-offset',
  cursor: 'stream-cursor',
  upToDate: 'stream-up-to-date',
  closed: 'stream-closed',
  sseDataEncoding: 'stream-sse-data-encoding',
  retryAfter: 'retry-after',
} as const;

/** Protocol header names only writes and a stream's metadata use (create, append, fork, head, the producer). */
export const WriteHeader = {
  ttl: 'stream-ttl',
  expiresAt: 'stream-expires-at',
  seq: 'stream-seq',
  forkedFrom: 'stream-forked-from',
  forkOffset: 'stream-fork-offset',
  forkSubOffset: 'stream-fork-sub-offset',
  producerId: 'producer-id',
  producerEpoch: 'producer-epoch',
  producerSeq: 'producer-seq',
  producerExpectedSeq: 'producer-expected-seq',
  producerReceivedSeq: 'producer-received-seq',
  etag: 'etag',
} as const;

/** `Stream-Closed` and `Stream-Up-To-Date` count only when exactly `true`, case-insensitively (PROTOCOL.md 4.1). */
export function isTrueFlag(value: string | null | undefined): boolean {
  return value != null && value.toLowerCase() === 'true';
}

/** Parses Retry-After (delta-seconds or HTTP date) into milliseconds from `now`. */
export function parseRetryAfterMs(value: string | null | undefined, now = Date.now()): number | undefined {
  if (!value) return undefined;
  const trimmed = value.trim();
  if (/^\d+(\.\d+)?$/.test(trimmed)) return Math.round(Number(trimmed) * 1000);
  const date = Date.parse(trimmed);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

/** Parses a non-negative integer header; undefined when absent or malformed. */
export function parseIntegerHeader(value: string | null | undefined): number | undefined {
  if (value == null || !/^\d+$/.test(value.trim())) return undefined;
  return Number(value.trim());
}

/**
 * What is wrong with a header, if anything: a name that is not an RFC 9110
 * token, or a value with a control character (CR and LF would split the
 * header, NUL ends it early; a tab is allowed, RFC 9110 5.5). Such headers
 * are refused, never rewritten. Pure.
 */
export function headerProblem(name: string, value: string): string | undefined {
  if (!/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/.test(name)) return `${JSON.stringify(name)} is not a valid header name`;
  if (/[\u0000-\u0008\u000a-\u001f\u007f]/.test(value))
    return `the value of ${name} contains a control character (CR, LF, NUL…)`;
  return undefined;
}
