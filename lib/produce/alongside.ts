import { endWith, ignoreElements, merge, share, takeUntil, type MonoTypeOperatorFunction, type Observable } from 'rxjs';

/**
 * Mirrors the source, and runs `sides` (for their effects: their values are
 * ignored) for as long as the source runs: subscribed right after it (so
 * what a side makes the source emit at once is not missed), ended when it
 * completes; an error of a side is the source's error. The producer runs
 * its linger timer and its content-type lookup this way, beside the batches
 * they seal: one subscription for the whole pipeline.
 */
export function alongside<T>(...sides: ReadonlyArray<Observable<unknown>>): MonoTypeOperatorFunction<T> {
  return (source) => {
    // Subscribed once: by the merge first, then by the sides' end signal (which sees a completion that came at once).
    const shared = source.pipe(share({ resetOnError: false, resetOnComplete: false, resetOnRefCountZero: true }));
    const ended = shared.pipe(ignoreElements(), endWith(0));
    return merge(shared, merge(...sides).pipe(ignoreElements(), takeUntil(ended)));
  };
}
