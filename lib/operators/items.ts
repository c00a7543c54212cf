import { mergeMap, type OperatorFunction } from 'rxjs';
import type { JsonBatch } from '../read/chunk.js';

/**
 * Flattens batches into their items, in order: `readJson<T>()` emits
 * `JsonBatch<T>`, `.pipe(items())` emits each `T`. Positions are dropped,
 * so keep the batches when you need checkpoints.
 */
export function items<T>(): OperatorFunction<Pick<JsonBatch<T>, 'items'>, T> {
  return mergeMap((batch) => batch.items);
}
