import { defer, first, map, noop, of, queueScheduler, Subject, type Observable } from 'rxjs';
import {
  initialSequence,
  nextSeqOf,
  reduceSequence,
  turnOf,
  type Go,
  type SequenceEvent,
  type SequenceState,
  type Setback,
} from './sequence-state.js';

export type { Go, Setback, Turn } from './sequence-state.js';

/**
 * The producer's sequence state ({@link reduceSequence}) and the batches
 * waiting on it. Every event replaces the state, then tells the batches
 * waiting in {@link turn$} to ask again. Announcements go through the queue
 * scheduler's trampoline: one raised while waiters are being told (a batch
 * sent, so the next may go) is queued behind the current round, not nested,
 * so a round's waiters all see one state and the stack stays flat with any
 * number of batches in flight.
 *
 * The one thing it does besides: a batch refused as too large is replaced
 * (by the pending batches) when the reducer says so, and {@link resized} tells the
 * batch that waited for it.
 */
export class Sequencer {
  // Set by the constructor: `declare`d, so a bundle carries no definition of them (size).
  declare private current: SequenceState;
  /** Replacements of refused batches, run (in order) once the reducer says nothing is on the wire. */
  private readonly replacements: Array<{ readonly apply: () => void; done: boolean }> = [];
  private readonly changes = new Subject<void>();
  private readonly tell = () => this.changes.next();
  /** Emits after every change of state (trampolined, see above). */
  readonly changes$: Observable<void> = this.changes.asObservable();
  private readonly renumberings = new Subject<SequenceState>();
  /**
   * With an outbox (`durable`): each state whose batches were numbered anew
   * (replacements done), to be saved; until `numbering-saved` says so, no
   * batch goes.
   */
  readonly renumbered$: Observable<SequenceState> = this.renumberings.asObservable();

  /**
   * With an outbox, the batches below this ordinal are the outbox's: an
   * earlier producer may have written them under their saved numbering, so
   * a `restart` waits until they are acknowledged (renumbered, one that had
   * landed would be written twice); before the outbox is read, all wait.
   */
  declare private resumedBelow: number;
  private deferredRestarts = 0;

  constructor(epoch: number, durable = false) {
    this.current = initialSequence(epoch, durable);
    this.resumedBelow = durable ? Infinity : 0;
  }

  /** Where the numbering stands now. */
  get state(): SequenceState {
    return this.current;
  }

  /** The epoch batches are sent with. */
  get epoch(): number {
    return this.current.epoch;
  }

  /** The seq the next batch not yet sent will get. */
  get nextSeq(): number {
    return nextSeqOf(this.current);
  }

  /** Folds `event` into the state (running replacements it made due), tells the waiters, and returns the new state. */
  dispatch(event: SequenceEvent): SequenceState {
    if (event.type === 'resume') this.resumedBelow = this.current.acceptedBelow + event.batches;
    if (event.type === 'restart' && this.current.acceptedBelow < this.resumedBelow) {
      this.deferredRestarts++;
      return this.current;
    }
    const before = this.current;
    const { state, resize } = reduceSequence(before, event);
    this.current = state;
    if (resize > 0)
      for (const replacement of this.replacements.splice(0, resize)) {
        replacement.apply();
        replacement.done = true;
      }
    if (state.numbering !== before.numbering) this.renumberings.next(state);
    this.announce();
    if (this.deferredRestarts > 0 && state.acceptedBelow >= this.resumedBelow) {
      this.deferredRestarts--;
      return this.dispatch({ type: 'restart' });
    }
    return this.current;
  }

  /**
   * Emits `batch`'s turn once it is not `wait` (at once if it is not now),
   * then completes. Its ordinal is read at each look: it may be renumbered
   * meanwhile.
   */
  turn$(batch: { readonly ordinal: number }, setback?: Setback): Observable<Go> {
    return defer(() => {
      // Usually the turn has come already: no need to listen.
      const now = turnOf(this.current, batch.ordinal, setback);
      if (now.kind !== 'wait') return of(now);
      return this.changes.pipe(
        map(() => turnOf(this.current, batch.ordinal, setback)),
        first((turn): turn is Go => turn.kind !== 'wait'),
      );
    });
  }

  /**
   * Puts an attempt for `ordinal` on the wire (after a `send` turn):
   * `dispatch` sends it, and only then are waiters told, so the next batch
   * in line leaves after it: requests leave in seq order.
   */
  sending<T>(ordinal: number, dispatch: () => T): T {
    this.current = reduceSequence(this.current, { type: 'sent', ordinal }).state;
    const dispatched = dispatch();
    this.announce();
    return dispatched;
  }

  /**
   * Batch `ordinal` was refused as too large (413): nothing after it can be
   * written, and it goes again as smaller batches (or none). Once nothing is
   * on the wire, so that no attempt in the old numbering can land after one
   * in the new, `apply` replaces it and renumbers the batches after it (see
   * `PendingBatches.replace`); they are then sent again in order, from its
   * seq. Until then no batch goes. Emits once `apply` has run.
   */
  resized(ordinal: number, apply: () => void): Observable<void> {
    const replacement = { apply, done: false };
    this.replacements.push(replacement);
    this.dispatch({ type: 'too-large', ordinal });
    return defer(() =>
      replacement.done
        ? of(undefined)
        : this.changes.pipe(
            first(() => replacement.done),
            map(noop),
          ),
    );
  }

  /** Tells the waiters in {@link turn$} (none listening: nothing to schedule). */
  private announce(): void {
    if (this.changes.observed) queueScheduler.schedule(this.tell);
  }
}
