import { Observable } from 'rxjs';
import type { Checkpoint, Offset } from '../../protocol/offset.js';
import type { ConnectionState, ConnectionStateObserver } from '../connection-state.js';
import type { ReadStep } from '../read-step.js';

/**
 * `Offset.now` (protocol/offset.ts), written out: the shared tail loads in a
 * lazy chunk (live-code.ts) that imports no module of the read path's initial code.
 */
export const NOW = 'now';

/**
 * What a shared tail tells a subscriber that arrives at any moment: the
 * latest step it read and the offset that step started at, or, before its
 * first step, the position it starts from; and where its connection stands.
 * A late joiner compares its own offset with the first two to join at
 * exactly its offset (see `joinDecision`). A new connection state comes as
 * the same snapshot again with the new `state`.
 */
export interface TailSnapshot<P> {
  /** Where `step` starts; with no step, where the tail stands. */
  readonly from: Offset;
  /** The cursor the tail holds at `from` (sent on its next live request). */
  readonly cursor?: string;
  /** The latest step, absent until the tail's first. */
  readonly step?: ReadStep<P>;
  /** Where the tail's connection stands, once it has told. */
  readonly state?: ConnectionState;
}

/** The snapshot of a tail that has read nothing yet: it stands at `start`. */
export function startSnapshot<P>(start: Checkpoint): TailSnapshot<P> {
  return start.cursor === undefined ? { from: start.offset } : { from: start.offset, cursor: start.cursor };
}

/** The offset a snapshot's tail stands at: after its step, or where it starts. */
export function snapshotOffset(snapshot: TailSnapshot<unknown>): Offset {
  return snapshot.step?.offset ?? snapshot.from;
}

/**
 * A tail's snapshots: `read`, a live read from `start` that tells its
 * connection states to the observer it is given, as one snapshot per step
 * (paired with the offset it starts at) and per new state.
 */
export function tailSnapshots<P>(
  start: Checkpoint,
  read: (states: ConnectionStateObserver) => Observable<ReadStep<P>>,
): Observable<TailSnapshot<P>> {
  return new Observable<TailSnapshot<P>>((subscriber) => {
    let latest = startSnapshot<P>(start);
    const tell = (snapshot: TailSnapshot<P>) => {
      latest = snapshot;
      subscriber.next(snapshot);
    };
    return read({ next: (state) => tell({ ...latest, state }) }).subscribe({
      next: (step) => tell({ ...latest, from: snapshotOffset(latest), step }),
      error: (error: unknown) => subscriber.error(error),
      complete: () => subscriber.complete(),
    });
  });
}
