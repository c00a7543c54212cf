import { takeWhile, type MonoTypeOperatorFunction } from 'rxjs';
import type { ReadPosition } from '../read/chunk.js';

/**
 * Completes after the first chunk that is up to date (or closed), emitting
 * it: turns a live read into "everything there is now".
 */
export function untilUpToDate<C extends Pick<ReadPosition, 'upToDate' | 'closed'>>(): MonoTypeOperatorFunction<C> {
  return takeWhile((chunk) => !chunk.upToDate && !chunk.closed, true);
}
