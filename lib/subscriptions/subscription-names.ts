import { InvalidArgumentError } from '../errors/client-errors.js';

/** The longest subscription id, stream path, pattern or worker name the SDK sends, in UTF-16 code units. */
export const MAX_NAME_LENGTH = 1024;

/** A UTF-16 surrogate without its pair: `encodeURIComponent` throws on it, and it is no text. */
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;
/** `scheme://`: a stream path in a subscription is relative to the stream root, never a URL. */
const URL_SCHEME = /^[a-z][a-z0-9+.-]*:\/\//i;

/** What a subscription id, a stream path, a pattern or a worker name is, for the rule that tells it. */
export type NameKind = 'subscription id' | 'stream path' | 'pattern' | 'worker name';

/**
 * Why `value` cannot be sent as a `kind`, or undefined when it can. Pure.
 * Refused: anything but a non-empty string; over {@link MAX_NAME_LENGTH};
 * control characters or a lone surrogate; blank or with leading or trailing
 * whitespace; and (ids, paths, patterns) a `.` or `..` segment, plain or
 * percent-encoded, which a URL parser, a proxy or the server would collapse
 * onto another resource (`subscription(client, '..')` would address
 * `…/__ds/`, `removeStream('..')` the subscription itself). Paths and
 * patterns also refuse backslashes, encoded separators and URLs.
 */
export function nameProblem(kind: NameKind, value: unknown): string | undefined {
  if (typeof value !== 'string') return `must be a string, got ${value === null ? 'null' : typeof value}`;
  if (value === '') return 'must not be empty';
  if (value.length > MAX_NAME_LENGTH)
    return `is ${value.length} characters long, over the limit of ${MAX_NAME_LENGTH} (it goes into URLs and headers, which servers cap)`;
  if (hasControlCharacter(value))
    return 'contains a control character (NUL, CR, LF, TAB…), which parsers strip or split on';
  if (LONE_SURROGATE.test(value)) return 'contains a lone UTF-16 surrogate, which is not text and cannot be encoded';
  if (value.trim() === '') return 'is blank';
  if (value.trim() !== value) return 'has leading or trailing whitespace';
  if (kind === 'worker name') return undefined;
  const segments = value.split('/');
  if (segments.some((segment) => /^(\.|%2e){1,2}$/i.test(segment)))
    return "has a '.' or '..' segment, which URLs collapse onto another resource";
  if (kind === 'subscription id') return undefined;
  if (/\\|%2f|%5c/i.test(value)) return 'has a backslash or an encoded path separator';
  if (URL_SCHEME.test(value)) return "is a URL: give the path relative to the client's baseUrl (the stream root)";
  return undefined;
}

/** Throws an {@link InvalidArgumentError} naming `where`, the kind and the rule when `value` is not a valid `kind`. */
export function checkName(kind: NameKind, value: unknown, where: string, url = ''): string {
  const problem = nameProblem(kind, value);
  if (problem !== undefined) {
    const shown = typeof value === 'string' ? JSON.stringify(value.length > 60 ? `${value.slice(0, 60)}…` : value) : '';
    throw new InvalidArgumentError(
      `${where}: the ${kind}${shown ? ` ${shown}` : ''} ${problem}; nothing was sent`,
      url,
    );
  }
  return value as string;
}

/** C0 and C1 controls, DEL, and the Unicode line and paragraph separators: invisible in logs, stripped or split by parsers. */
function hasControlCharacter(value: string): boolean {
  for (let i = 0; i < value.length; i++) {
    const code = value.charCodeAt(i);
    if (code < 0x20 || (code >= 0x7f && code <= 0x9f) || code === 0x2028 || code === 0x2029) return true;
  }
  return false;
}
