import type { Framing } from '../protocol/content-type.js';
import type { Entry } from './encode.js';

// Each value is decoded alone: a default decoder would drop a value's leading U+FEFF as a byte order mark.
const decoder = new TextDecoder('utf-8', { ignoreBOM: true });

/**
 * The values a batch body holds, in order, as the stream would have stored
 * them: on a JSON stream, the array parsed back (each value as
 * `JSON.parse(JSON.stringify(value))`); on any other stream, each string
 * (lone surrogates as U+FFFD) and each byte array (copied) cut out again by
 * `sizes` (see `BodyWriter.sizes`). Pure; used only when values are handed
 * back, never on the way to the server.
 */
export function batchValues(
  body: Uint8Array | undefined,
  framing: Framing,
  sizes: readonly number[] | undefined,
): unknown[] {
  if (body === undefined) return [];
  if (framing === 'json') return JSON.parse(decoder.decode(body)) as unknown[];
  const values: unknown[] = [];
  let at = 0;
  for (const size of sizes ?? []) {
    if (size >= 0) {
      values.push(body.slice(at, at + size));
      at += size;
    } else {
      const end = utf8End(body, at, ~size);
      values.push(decoder.decode(body.subarray(at, end)));
      at = end;
    }
  }
  return values;
}

/**
 * Every value of the producer not acknowledged, in append order: the sealed
 * batches' and the open batch's (`values`, already decoded), the values that
 * waited for the content type, and `closeStream()`'s last value if it was
 * not sealed yet.
 */
export function handBack(values: unknown[], waiting: readonly Entry[], final: Entry | null | undefined): unknown[] {
  for (const entry of waiting) values.push(entryValue(entry));
  if (final) values.push(entryValue(final));
  return values;
}

/** A value that waited for the content type, as it was appended: JSON parsed back, strings and bytes as they are. */
export function entryValue(entry: Entry): unknown {
  if (entry.json) return JSON.parse(entry.data as string) as unknown;
  return typeof entry.data === 'string' ? entry.data : entry.data.slice();
}

/** Where the UTF-8 of `units` UTF-16 units starting at `at` ends (the bytes are well-formed: we wrote them). */
export function utf8End(body: Uint8Array, at: number, units: number): number {
  let end = at;
  for (let left = units; left > 0;) {
    const lead = body[end];
    // Four bytes are a surrogate pair, two units; anything shorter is one.
    if (lead >= 0xf0) {
      end += 4;
      left -= 2;
    } else {
      end += lead >= 0xe0 ? 3 : lead >= 0xc0 ? 2 : 1;
      left -= 1;
    }
  }
  return end;
}
