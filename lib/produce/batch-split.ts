import { framingOf } from '../protocol/content-type.js';
import { batchValues, utf8End } from './batch-values.js';
import type { Batch } from './pending-batches.js';

const encoder = new TextEncoder();

/**
 * A batch the server refused as too large (413), cut in two: its first
 * half of values and the rest, each with a body of its own, framed as
 * before, and the counts each acknowledgement settles. The second half
 * takes the next ordinal (what follows is renumbered). Pure. On a JSON
 * stream the array is parsed and each half printed again: the body is
 * `JSON.stringify`'s text, which prints back the same (this runs only after
 * a 413); on a byte stream the values are cut out of the body by `sizes`.
 */
export function halves(batch: Batch): [Batch, Batch] {
  const body = batch.body ?? new Uint8Array(0); // a batch refused as too large has one
  const { sizes } = batch;
  const middle = Math.ceil(batch.count / 2);
  const [first, second] =
    framingOf(batch.contentType) === 'json'
      ? jsonHalves(batchValues(body, 'json', undefined), middle)
      : byteHalves(body, sizes ?? [], middle);
  return [
    {
      ...batch,
      ...first,
      sizes: sizes?.slice(0, middle),
      endCount: batch.endCount - second.count,
      endBytes: batch.endBytes - second.bytes,
    },
    { ...batch, ...second, sizes: sizes?.slice(middle), ordinal: batch.ordinal + 1 },
  ];
}

interface Half {
  readonly body: Uint8Array;
  readonly count: number;
  /** The values' bytes, the framing's brackets and commas not counted. */
  readonly bytes: number;
}

function jsonHalves(values: unknown[], middle: number): [Half, Half] {
  const half = (part: unknown[]): Half => {
    const body = encoder.encode(JSON.stringify(part));
    return { body, count: part.length, bytes: body.byteLength - part.length - 1 };
  };
  return [half(values.slice(0, middle)), half(values.slice(middle))];
}

/** On a byte stream, where each value ends is in `sizes` (see `BodyWriter.sizes`). */
function byteHalves(body: Uint8Array, sizes: readonly number[], middle: number): [Half, Half] {
  let cut = 0;
  for (const size of sizes.slice(0, middle)) cut = size >= 0 ? cut + size : utf8End(body, cut, ~size);
  const half = (part: Uint8Array, count: number): Half => ({ body: part, count, bytes: part.byteLength });
  return [half(body.slice(0, cut), middle), half(body.slice(cut), sizes.length - middle)];
}
