import {
  connect,
  endWith,
  ignoreElements,
  merge,
  takeUntil,
  type MonoTypeOperatorFunction,
  type Observable,
} from 'rxjs';

/**
 * Mirrors the source, and runs `sides` (for their effects: their values are
 * ignored) for as long as the source runs: subscribed before it, ended when
 * it completes; an error of a side is the source's error. The producer runs
 * its linger timer and its content-type lookup this way, beside the batches
 * they seal: one subscription for the whole pipeline.
 */
export function alongside<T>(...sides: ReadonlyArray<Observable<unknown>>): MonoTypeOperatorFunction<T> {
  return (source) =>
    source.pipe(
      connect((shared) =>
        merge(shared, merge(...sides).pipe(ignoreElements(), takeUntil(shared.pipe(ignoreElements(), endWith(0))))),
      ),
    );
}
