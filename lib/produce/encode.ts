import { InvalidArgumentError } from '../errors/client-errors.js';
import { toJson } from '../operations/validate.js';
import type { Framing } from '../protocol/content-type.js';

/**
 * One appended value, encoded once at append time: the caller may mutate
 * the value afterwards, and serialization errors surface at the append.
 */
export interface Entry {
  /** JSON text, or the raw string or bytes. */
  readonly data: string | Uint8Array;
  /** UTF-8 size of `data`: what the batch and buffer budgets count. */
  readonly bytes: number;
  /** Whether `data` is JSON text. False for raw strings and bytes. */
  readonly json: boolean;
}

/**
 * Encodes one value. With the framing unknown (the content type is still
 * being learned), strings and bytes stay raw and anything else becomes JSON;
 * {@link entryData} settles them once the framing is known.
 */
export function encodeValue(value: unknown, framing: Framing | undefined, url: string): Entry {
  const raw = framing === undefined && (typeof value === 'string' || value instanceof Uint8Array);
  const data = raw ? value : framing ? valueData(value, framing, url) : toJson(value, url);
  return { data, bytes: dataBytes(data), json: !raw && framing !== 'bytes' };
}

/**
 * What one value puts on the wire once the framing is known: its JSON text
 * on a JSON stream, the string or bytes themselves otherwise (anything else
 * is refused there).
 */
export function valueData(value: unknown, framing: Framing, url: string): string | Uint8Array {
  if (framing === 'json') return toJson(value, url);
  if (typeof value === 'string' || value instanceof Uint8Array) return value;
  throw notBytes(value, url);
}

/**
 * What a value encoded before the framing was known puts on the wire once it
 * is (see `batchBody`): a raw string is quoted on a JSON stream, and only raw
 * strings and bytes may go on any other.
 */
export function entryData(entry: Entry, framing: Framing, url: string): string | Uint8Array {
  if (framing === 'json') return jsonText(entry, url);
  if (entry.json) throw notBytes(undefined, url);
  return entry.data;
}

/** The size of what {@link valueData} or {@link entryData} returned: UTF-8 bytes for text. */
export function dataBytes(data: string | Uint8Array): number {
  return typeof data === 'string' ? utf8Length(data) : data.byteLength;
}

function jsonText(entry: Entry, url: string): string {
  if (entry.json) return entry.data as string;
  // Appended raw before the framing was known.
  if (typeof entry.data === 'string') return JSON.stringify(entry.data);
  throw new InvalidArgumentError(
    'a Uint8Array cannot be appended to a JSON stream: append the value itself, it is serialized for you',
    url,
  );
}

function notBytes(value: unknown, url: string): InvalidArgumentError {
  const got = value === undefined ? 'a value serialized as JSON' : value === null ? 'null' : typeof value;
  return new InvalidArgumentError(
    `this stream is not application/json, so a producer appends strings or Uint8Array only; got ${got}. Values are serialized only on JSON streams`,
    url,
  );
}

/**
 * The UTF-8 length of `text`, without encoding it. Measured for every
 * append, so it takes the runtime's native counter where there is one (Node,
 * Bun: several times faster than a loop in JS).
 */
export const utf8Length: (text: string) => number = nativeUtf8Length() ?? countUtf8;

function nativeUtf8Length(): ((text: string) => number) | undefined {
  const native = (globalThis as { Buffer?: { byteLength(text: string, encoding: 'utf8'): number } }).Buffer;
  return typeof native?.byteLength === 'function' ? (text) => native.byteLength(text, 'utf8') : undefined;
}

/** The UTF-8 length of `text`, counted in JS (lone surrogates count as U+FFFD, as TextEncoder writes them). */
export function countUtf8(text: string): number {
  let bytes = text.length;
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code < 0x80) continue;
    if (code < 0x800) bytes += 1;
    else if (code >= 0xd800 && code <= 0xdbff && i + 1 < text.length && (text.charCodeAt(i + 1) & 0xfc00) === 0xdc00) {
      bytes += 2; // a pair: two UTF-16 units, four bytes
      i++;
    } else bytes += 2;
  }
  return bytes;
}
