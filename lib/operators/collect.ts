import { map, toArray, type OperatorFunction } from 'rxjs';
import { concatBytes } from '../util/bytes.js';
import type { ByteChunk, JsonBatch, TextChunk } from '../read/chunk.js';
import { untilUpToDate } from './until-up-to-date.js';

/*
 * Collectors read until up to date (or EOF), then emit everything read as
 * one value and complete. They work on any read mode: on a live read they
 * stop it once it has caught up.
 */

/** All bytes up to the tail, as one array (copied once, at the end; a single chunk's bytes are returned as they are). */
export function collectBytes(): OperatorFunction<Pick<ByteChunk, 'data' | 'upToDate' | 'closed'>, Uint8Array> {
  return (source) =>
    source.pipe(
      untilUpToDate(),
      toArray(),
      map((chunks) => concatBytes(chunks.map((chunk) => chunk.data))),
    );
}

/** All text up to the tail, as one string. */
export function collectText(): OperatorFunction<Pick<TextChunk, 'text' | 'upToDate' | 'closed'>, string> {
  return (source) =>
    source.pipe(
      untilUpToDate(),
      toArray(),
      map((chunks) => chunks.map((chunk) => chunk.text).join('')),
    );
}

/** All JSON messages up to the tail, as one array. */
export function collectItems<T>(): OperatorFunction<Pick<JsonBatch<T>, 'items' | 'upToDate' | 'closed'>, T[]> {
  return (source) =>
    source.pipe(
      untilUpToDate(),
      toArray(),
      map((batches) => {
        if (batches.length === 1) return [...batches[0].items];
        const out: T[] = [];
        for (const batch of batches) for (const item of batch.items) out.push(item);
        return out;
      }),
    );
}
