import { BehaviorSubject, defer, share, tap, type Observable } from 'rxjs';
import type { Checkpoint } from '../../protocol/offset.js';
import { startSnapshot, type TailSnapshot } from './tail-snapshot.js';

/**
 * The live tails running for one client (the read path's part of its
 * runtime keeps one), one per key (a stream and what its requests carry;
 * see `shareKeys`). A tail is one live read shared with
 * `share()`: its first subscriber starts it from its own offset, every
 * later one gets the latest snapshot at once (a `BehaviorSubject`), then the
 * steps as they come; the last one out aborts its request
 * (`resetOnRefCountZero`). A tail that ends (EOF, or an error every
 * subscriber gets) or loses its last subscriber leaves the registry before
 * anyone hears of it, so whoever comes next starts a new one.
 */
export class TailRegistry {
  private readonly tails = new Map<string, Observable<TailSnapshot<unknown>>>();

  /**
   * The tail under `key`: the running one, or, on subscribe, a new one
   * started at `from` with `open` (a live read's steps as snapshots, see
   * `tailSnapshots`, or another tab's as they come).
   */
  tail<P>(
    key: string,
    from: Checkpoint,
    open: (from: Checkpoint) => Observable<TailSnapshot<P>>,
  ): Observable<TailSnapshot<P>> {
    return defer(() => (this.tails.get(key) as Observable<TailSnapshot<P>> | undefined) ?? this.start(key, from, open));
  }

  /** How many tails run now. */
  get size(): number {
    return this.tails.size;
  }

  private start<P>(
    key: string,
    from: Checkpoint,
    open: (from: Checkpoint) => Observable<TailSnapshot<P>>,
  ): Observable<TailSnapshot<P>> {
    const forget = () => {
      if (this.tails.get(key) === tail) this.tails.delete(key);
    };
    const tail: Observable<TailSnapshot<P>> = open(from).pipe(
      // Before the subscribers hear of the end: one that resubscribes at once must find a new tail.
      tap({ error: forget, complete: forget, finalize: forget }),
      share({
        connector: () => new BehaviorSubject<TailSnapshot<P>>(startSnapshot(from)),
        resetOnError: true,
        resetOnComplete: true,
        resetOnRefCountZero: true,
      }),
    );
    this.tails.set(key, tail);
    return tail;
  }
}
