import { defer, map, type OperatorFunction } from 'rxjs';
import type { Entry } from './encode.js';

/**
 * One appended value as the batching stage sees it: a number once the
 * framing is known (the value is then in the open body, see `BodyWriter`):
 * the bytes of that body counted since the last value, which is nothing
 * while texts are staged, and every byte of the body whenever its byte
 * budget might be reached; or, while the framing is unknown, the encoded
 * value itself.
 */
export type Item = Entry | number;

/** An item's size in bytes: what the batch's byte budget counts. */
export function itemBytes(item: Item): number {
  return typeof item === 'number' ? item : item.bytes;
}

/** What the batching stage hands on: items, and whether this is `closeStream()`'s last request. */
export interface BatchContent {
  readonly entries: readonly Item[];
  /** Sent with `Stream-Closed: true`: the stream closes with this batch. */
  readonly close: boolean;
}

/** A batch with its place in the producer's output. */
export interface Batch extends BatchContent {
  /** 0, 1, 2… in append order. Sequence numbers derive from it (they restart with each epoch). */
  readonly ordinal: number;
  /** Messages appended up to and including this batch: its acknowledgement settles those. */
  readonly endCount: number;
}

/** Numbers batches in order and keeps a running count (per subscription; only the count is kept, not the batches). */
export function numberBatches(): OperatorFunction<BatchContent, Batch> {
  return (source) =>
    defer(() => {
      let endCount = 0;
      return source.pipe(
        map((content, ordinal): Batch => {
          endCount += content.entries.length;
          return { entries: content.entries, close: content.close, ordinal, endCount };
        }),
      );
    });
}
