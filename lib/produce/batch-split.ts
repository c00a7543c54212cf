import type { Framing } from '../protocol/content-type.js';
import type { Batch } from './pending-batches.js';
import type { ProducerLoan } from './producer-loan.js';

/** What the split is lent (see `PRODUCER_LOAN`). */
type SplitLoan = Pick<ProducerLoan, 'framingOf' | 'utf8End'>;

const OPEN_BRACKET = 0x5b;
const CLOSE_BRACKET = 0x5d;
const COMMA = 0x2c;
const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const OPEN_BRACE = 0x7b;
const CLOSE_BRACE = 0x7d;

/**
 * A batch the server refused as too large (413), cut in two: its first
 * half of values and the rest, each with a body of its own, framed as
 * before, and the counts each acknowledgement settles. The second half
 * takes the next ordinal (what follows is renumbered). Pure: the
 * values are cut out of the body, never encoded again.
 */
export function halves(batch: Batch, lent: SplitLoan): [Batch, Batch] {
  const framing = lent.framingOf(batch.contentType);
  const body = batch.body ?? new Uint8Array(0); // a batch refused as too large has one
  const bounds = valueBounds(body, framing, batch.sizes, lent.utf8End);
  const middle = Math.ceil(bounds.length / 2);
  const first = part(body, framing, bounds.slice(0, middle));
  const second = part(body, framing, bounds.slice(middle));
  const sizes = (from: number, to?: number) => batch.sizes?.slice(from, to);
  return [
    {
      ...batch,
      ...first,
      sizes: sizes(0, middle),
      endCount: batch.endCount - second.count,
      endBytes: batch.endBytes - second.bytes,
    },
    { ...batch, ...second, sizes: sizes(middle), ordinal: batch.ordinal + 1 },
  ];
}

/** Where each value lies in a body, [start, end) byte offsets: the elements of a JSON array, or, on a byte stream, as `sizes` says. */
export function valueBounds(
  body: Uint8Array,
  framing: Framing,
  sizes: readonly number[] | undefined,
  utf8End: ProducerLoan['utf8End'],
): Array<readonly [number, number]> {
  const bounds: Array<readonly [number, number]> = [];
  if (framing === 'bytes') {
    let at = 0;
    for (const size of sizes ?? []) {
      const end = size >= 0 ? at + size : utf8End(body, at, ~size);
      bounds.push([at, end]);
      at = end;
    }
    return bounds;
  }
  // A JSON array as JSON.stringify writes it (no white space outside strings): elements end at a comma or
  // at the closing bracket at depth 1. UTF-8 continuation bytes never look like ASCII, so bytes can be scanned.
  let depth = 0;
  let inString = false;
  let start = 1;
  for (let at = 0; at < body.length; at++) {
    const byte = body[at];
    if (inString) {
      if (byte === BACKSLASH) at++;
      else if (byte === QUOTE) inString = false;
    } else if (byte === QUOTE) inString = true;
    else if (byte === OPEN_BRACKET || byte === OPEN_BRACE) depth++;
    else if (byte === CLOSE_BRACKET || byte === CLOSE_BRACE) {
      if (--depth === 0) bounds.push([start, at]);
    } else if (byte === COMMA && depth === 1) {
      bounds.push([start, at]);
      start = at + 1;
    }
  }
  return bounds;
}

/** A body of these values, framed as the stream frames them, with its count and value bytes. */
function part(
  body: Uint8Array,
  framing: Framing,
  bounds: Array<readonly [number, number]>,
): { body: Uint8Array; count: number; bytes: number } {
  const count = bounds.length;
  if (framing === 'bytes') {
    const copy = body.slice(bounds[0][0], bounds[count - 1][1]);
    return { body: copy, count, bytes: copy.byteLength };
  }
  let bytes = 0;
  for (const [start, end] of bounds) bytes += end - start;
  const framed = new Uint8Array(bytes + count + 1);
  let at = 0;
  framed[at++] = OPEN_BRACKET;
  for (const [index, [start, end]] of bounds.entries()) {
    if (index > 0) framed[at++] = COMMA;
    framed.set(body.subarray(start, end), at);
    at += end - start;
  }
  framed[at] = CLOSE_BRACKET;
  return { body: framed, count, bytes };
}
