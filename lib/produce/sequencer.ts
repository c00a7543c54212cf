import { defer, first, map, noop, of, queueScheduler, Subject, type Observable } from 'rxjs';

/**
 * What a batch may do now:
 * - `send` with this (epoch, seq);
 * - `wait` for a change of state (an earlier batch's outcome, an epoch switch);
 * - `accepted`: it needs no sending, a later batch's acknowledgement proved it was written.
 */
export type Turn =
  | {
      readonly kind: 'send';
      readonly epoch: number;
      readonly seq: number;
      /** Whether an earlier batch was still unconfirmed: only then can the server answer with a sequence gap. */
      readonly predecessorsPending: boolean;
    }
  | { readonly kind: 'wait' }
  | { readonly kind: 'accepted' };

/**
 * Why a batch's attempt did not land: the server saw a gap, fenced its epoch,
 * found the stream closed (possibly by this producer's own last request), or
 * refused the batch as too large (it goes again as smaller batches).
 */
export interface Setback {
  readonly kind: 'gap' | 'fenced' | 'closed' | 'resized';
  readonly epoch: number;
  readonly seq: number;
}

/** A turn that is not `wait`: what {@link Sequencer.turn$} emits. */
export type Go = Exclude<Turn, { readonly kind: 'wait' }>;

const WAIT: Turn = Object.freeze({ kind: 'wait' });
const ACCEPTED: Turn = Object.freeze({ kind: 'accepted' });

/**
 * After this many epoch claims in a row without one acknowledged batch, a
 * stale epoch is final: something else keeps claiming the producer id.
 */
export const MAX_CLAIMS_IN_A_ROW = 5;

/**
 * The (epoch, seq) bookkeeping of an idempotent producer (PROTOCOL.md
 * 5.2.1): pure state, no I/O, no timers. Batches are known by their
 * ordinal (0, 1, 2… in append order); within an epoch, seq = ordinal −
 * base, where base is the first ordinal sent in that epoch.
 *
 * Two facts of the protocol carry the design:
 * - The server accepts seq n + 1 of an epoch only after seq n. So an
 *   acknowledgement of a batch proves every earlier batch written, and
 *   `acceptedBelow` can advance to it even if earlier responses are lost.
 * - A new epoch must start at seq 0, and a higher seq arriving first is
 *   rejected (400). So the first batch of an epoch goes alone, and the
 *   rest follow once it is acknowledged.
 *
 * An epoch switch (a stale-epoch claim, or `restart()`) waits until no
 * attempt is on the wire, so that every batch's fate in the old epoch is
 * known; then the unacknowledged batches are renumbered from seq 0 under the
 * new epoch, in order. Nothing accepted is sent again, nothing is skipped.
 *
 * It announces its own changes: every change of state tells the batches
 * waiting in {@link turn$} to ask again. Announcements go through the queue
 * scheduler's trampoline: one raised while waiters are being told (a batch
 * sent, so the next may go) is queued behind the current round, not nested,
 * so a round's waiters all see one state and the stack stays flat with any
 * number of batches in flight.
 */
export class Sequencer {
  private currentEpoch: number;
  /** The ordinal that is seq 0 in the current epoch. */
  private base = 0;
  /** Whether some batch of the current epoch was acknowledged (so seq 0 was). */
  private established = false;
  /** Every ordinal below this is written. */
  private acceptedBelow = 0;
  /** One past the highest ordinal sent in the current epoch (first sends go in order, so every one below was sent). */
  private sentBelow = 0;
  /** Batches that met a gap and are not yet sent again. Few: at most maxInFlight. */
  private readonly regapped = new Set<number>();
  /** Attempts whose outcome is not known yet. */
  private onWire = 0;
  /** The epoch to switch to once nothing is on the wire. */
  private pendingEpoch: number | undefined;
  private claimsInARow = 0;
  /** Batches refused as too large, to be replaced (renumbering those after them) once nothing is on the wire. */
  private readonly resizes: Array<{ readonly apply: () => void; done: boolean }> = [];
  private readonly changes = new Subject<void>();
  private readonly tell = () => this.changes.next();

  constructor(epoch: number) {
    this.currentEpoch = epoch;
  }

  /** The epoch batches are sent with. */
  get epoch(): number {
    return this.currentEpoch;
  }

  /** The seq the next batch not yet sent will get. */
  get nextSeq(): number {
    return Math.max(this.sentBelow, this.base) - this.base;
  }

  /** What batch `ordinal` may do now; `setback` is how its last attempt ended, if it did not land. */
  turn(ordinal: number, setback?: Setback): Turn {
    if (ordinal < this.acceptedBelow) return ACCEPTED;
    if (this.resizes.length > 0) return WAIT;
    // Met a closed stream: a later batch still out may prove it written.
    if (setback?.kind === 'closed' && this.onWire > 0) return WAIT;
    if (this.pendingEpoch !== undefined) return WAIT;
    // A gap means an earlier batch had not arrived yet: wait for all of them.
    if (setback?.kind === 'gap' && setback.epoch === this.currentEpoch && ordinal > this.acceptedBelow) return WAIT;
    if (!this.established && ordinal !== this.base) return WAIT;
    // First sends go in ordinal order, whatever order waiters are asked in:
    // a batch sent before its predecessor would likely meet a gap.
    if (ordinal > this.sentBelow) return WAIT;
    // Likewise past an earlier batch that met a gap and has to go again:
    // such cascades would send every batch twice.
    for (const waiting of this.regapped) if (waiting < ordinal) return WAIT;
    return {
      kind: 'send',
      epoch: this.currentEpoch,
      seq: ordinal - this.base,
      predecessorsPending: ordinal > this.acceptedBelow,
    };
  }

  /**
   * Emits `batch`'s turn once it is not `wait` (at once if it is not now), then completes. Its ordinal is read at each
   * look: it may be renumbered meanwhile.
   */
  turn$(batch: { readonly ordinal: number }, setback?: Setback): Observable<Go> {
    return defer(() => {
      // Usually the turn has come already: no need to listen.
      const now = this.turn(batch.ordinal, setback);
      if (now.kind !== 'wait') return of(now);
      return this.changes.pipe(
        map(() => this.turn(batch.ordinal, setback)),
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
    this.onWire++;
    this.regapped.delete(ordinal);
    if (ordinal >= this.sentBelow) this.sentBelow = ordinal + 1;
    const dispatched = dispatch();
    this.announce();
    return dispatched;
  }

  /** The server acknowledged (200 or 204) batch `ordinal`, sent in `epoch`. */
  accepted(ordinal: number, epoch: number): void {
    this.onWire--;
    if (ordinal >= this.acceptedBelow) this.acceptedBelow = ordinal + 1;
    if (epoch === this.currentEpoch) {
      this.established = true;
      this.claimsInARow = 0;
    }
    this.switchWhenQuiet();
    this.announce();
  }

  /** The server answered batch `ordinal` with a sequence gap. */
  gap(ordinal: number): void {
    this.onWire--;
    this.regapped.add(ordinal);
    this.switchWhenQuiet();
    this.announce();
  }

  /**
   * Batch `ordinal` met a closed stream. Returns whether it may yet turn out
   * written: a later acknowledgement already says so, or later batches are
   * still out (the one that closed the stream may be among them).
   */
  closedOut(ordinal: number): boolean {
    this.onWire--;
    const hope = ordinal < this.acceptedBelow || this.onWire > 0;
    this.switchWhenQuiet();
    this.announce();
    return hope;
  }

  /**
   * A batch was refused as too large (413): nothing after it can be
   * written, and it goes again as smaller batches (or none). Once nothing is
   * on the wire, so that no attempt in the old numbering can land after one
   * in the new, `apply` replaces it and renumbers the batches after it (see
   * `Outbox.replace`); they are then sent again in order, from its seq.
   * Until then no batch goes. Emits once `apply` has run.
   */
  resized(apply: () => void): Observable<void> {
    this.onWire--;
    const resize = { apply, done: false };
    this.resizes.push(resize);
    this.switchWhenQuiet();
    this.announce();
    return defer(() =>
      resize.done
        ? of(undefined)
        : this.changes.pipe(
            first(() => resize.done),
            map(noop),
          ),
    );
  }

  /** An attempt failed for good (the producer stops). */
  failed(): void {
    this.onWire--;
    this.announce();
  }

  /**
   * The server fenced `epoch`: it is at `serverEpoch`. Claims the next
   * epoch (switched to once nothing is on the wire). Returns false when
   * claiming has failed too often in a row: the caller gives up.
   */
  fenced(epoch: number, serverEpoch: number): boolean {
    this.onWire--;
    if (epoch === this.currentEpoch) {
      if (this.pendingEpoch === undefined) this.claimsInARow++;
      this.pendingEpoch = Math.max(this.pendingEpoch ?? 0, serverEpoch + 1, this.currentEpoch + 1);
    }
    const keepGoing = this.claimsInARow <= MAX_CLAIMS_IN_A_ROW;
    this.switchWhenQuiet();
    this.announce();
    return keepGoing;
  }

  /** Moves to the next epoch (from seq 0) once nothing is on the wire. */
  restart(): void {
    this.pendingEpoch = Math.max(this.pendingEpoch ?? this.currentEpoch, this.currentEpoch) + 1;
    this.switchWhenQuiet();
    this.announce();
  }

  /** Tells the waiters in {@link turn$} (none listening: nothing to schedule). */
  private announce(): void {
    if (this.changes.observed) queueScheduler.schedule(this.tell);
  }

  private switchWhenQuiet(): void {
    if (this.onWire > 0) return;
    if (this.resizes.length > 0) {
      for (const resize of this.resizes.splice(0)) {
        resize.apply();
        resize.done = true;
      }
      // What follows the resized batches is renumbered: sent again in order, as after an epoch switch.
      this.sentBelow = this.acceptedBelow;
      this.regapped.clear();
    }
    if (this.pendingEpoch === undefined) return;
    this.currentEpoch = this.pendingEpoch;
    this.pendingEpoch = undefined;
    this.base = this.acceptedBelow;
    this.sentBelow = this.base;
    this.established = false;
    // Renumbered from seq 0: earlier gaps say nothing about the new epoch.
    this.regapped.clear();
  }
}
