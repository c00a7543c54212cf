import type { HttpHeaders } from '../http-transport.js';

/** A header name or value as undici's clients hand it over: bytes off the socket (a mock may give strings, or a list). */
export type RawField = Buffer | string | readonly (Buffer | string)[];

/**
 * A response's headers as undici's parser hands them over (name, value,
 * name, value…), read only when asked: no headers object, and no string for
 * a header nobody reads (a long-poll answer is read for a few). Names
 * compare without case, byte by byte; values decode as latin1, and a
 * repeated header's values are joined with ', ', as undici's own parsing
 * and `Headers.get()` give them. (Kept instead as one view of the socket's
 * read and the fields' offsets, so that the parser's buffer objects die at
 * once, they measured no smaller: docs/performance.md.)
 */
export class RawHeaders implements HttpHeaders {
  constructor(private readonly raw: readonly RawField[]) {}

  get(name: string): string | null {
    const wanted = name.toLowerCase();
    const raw = this.raw;
    let value: string | null = null;
    for (let i = 0; i + 1 < raw.length; i += 2) {
      if (!nameIs(raw[i], wanted)) continue;
      const text = valueText(raw[i + 1]);
      value = value === null ? text : `${value}, ${text}`;
    }
    return value;
  }

  entries(): Iterable<[string, string]> {
    const joined = new Map<string, string>();
    const raw = this.raw;
    for (let i = 0; i + 1 < raw.length; i += 2) {
      const name = valueText(raw[i]).toLowerCase();
      const text = valueText(raw[i + 1]);
      const before = joined.get(name);
      joined.set(name, before === undefined ? text : `${before}, ${text}`);
    }
    return joined.entries();
  }
}

/** Whether a raw header name is `wanted` (lower-case): compared in place, no string made for it. */
function nameIs(field: RawField, wanted: string): boolean {
  if (typeof field === 'string') return field.length === wanted.length && field.toLowerCase() === wanted;
  if (!Buffer.isBuffer(field) || field.length !== wanted.length) return false;
  for (let i = 0; i < field.length; i++) {
    const byte = field[i];
    // ASCII upper case to lower; header names are tokens (ASCII).
    if ((byte >= 0x41 && byte <= 0x5a ? byte | 0x20 : byte) !== wanted.charCodeAt(i)) return false;
  }
  return true;
}

function valueText(field: RawField): string {
  if (typeof field === 'string') return field;
  if (Buffer.isBuffer(field)) return field.toString('latin1');
  return field.map(valueText).join(', ');
}
