import { takeWhile, type MonoTypeOperatorFunction } from 'rxjs';

/**
 * Completes after the first chunk that is up to date (or closed), emitting
 * it: turns a live read into "everything there is now".
 */
export function untilUpToDate<C extends { readonly upToDate: boolean; readonly closed: boolean }>(): MonoTypeOperatorFunction<C> {
  return takeWhile((chunk) => !chunk.upToDate && !chunk.closed, true);
}
