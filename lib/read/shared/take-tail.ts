import { Observable, type OperatorFunction } from 'rxjs';
import type { ReadStep } from '../read-step.js';
import type { JoinDecision } from './join-decision.js';
import type { TailSnapshot } from './tail-snapshot.js';

/** What a reader does with a tail's snapshots (see {@link takeTail}). */
export interface TailTaker<P> {
  /** What to do with `snapshot` (`first`: the first one of this tail), see `joinDecision`. */
  readonly decide: (snapshot: TailSnapshot<P>, first: boolean) => JoinDecision<P>;
  /** Moves the reader to a step it takes; false when its subscribers need not hear of it. */
  readonly advance: (step: ReadStep<P>) => boolean;
  /** Told the tail's connection states while the reader takes the tail's steps. */
  readonly tell?: ((state: NonNullable<TailSnapshot<P>['state']>) => void) | undefined;
}

/**
 * A reader's steps from a shared tail: each snapshot decided, the steps it
 * may take delivered, until the tail's step would skip or repeat something
 * (a rejoin: completes without it) or one ends the stream (delivered, then
 * completes). One subscriber per reader, however many readers a tail has:
 * this runs for every reader at every step of a fan-out, so it is the
 * operators `map`, `takeWhile`, `filter`, `map`, `filter`, `takeWhile` fused.
 */
export function takeTail<P>(taker: TailTaker<P>): OperatorFunction<TailSnapshot<P>, ReadStep<P>> {
  return (snapshots) =>
    new Observable<ReadStep<P>>((subscriber) => {
      let first = true;
      return snapshots.subscribe({
        next: (snapshot) => {
          if (subscriber.closed) return;
          const decision = taker.decide(snapshot, first);
          first = false;
          if (decision.kind === 'rejoin') return subscriber.complete();
          // Joined (or about to be): where the tail's connection stands is where this reader's does.
          if (snapshot.state) taker.tell?.(snapshot.state);
          if (decision.kind === 'skip' || !taker.advance(decision.step)) return;
          subscriber.next(decision.step);
          if (decision.step.closed) subscriber.complete();
        },
        error: (error: unknown) => subscriber.error(error),
        complete: () => subscriber.complete(),
      });
    });
}
