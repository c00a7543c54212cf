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

/** A turn that is not `wait`: what a batch waiting for its turn gets. */
export type Go = Exclude<Turn, { readonly kind: 'wait' }>;

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

/**
 * After this many epoch claims in a row without one acknowledged batch, a
 * stale epoch is final: something else keeps claiming the producer id.
 */
export const MAX_CLAIMS_IN_A_ROW = 5;

/**
 * The (epoch, seq) bookkeeping of an idempotent producer (PROTOCOL.md
 * 5.2.1). Replaced, never mutated, by {@link reduceSequence} alone. Batches
 * are known by their ordinal (0, 1, 2… in append order); within an epoch,
 * seq = ordinal − base, where base is the first ordinal sent in that epoch.
 */
export interface SequenceState {
  /** The epoch batches are sent with. */
  readonly epoch: number;
  /** The ordinal that is seq 0 in the current epoch. */
  readonly base: number;
  /** Whether some batch of the current epoch was acknowledged (so seq 0 was). */
  readonly established: boolean;
  /** Every ordinal below this is written. */
  readonly acceptedBelow: number;
  /** One past the highest ordinal sent in the current numbering (first sends go in order, so every one below was sent). */
  readonly sentBelow: number;
  /** Batches that met a gap and are not yet sent again. Few: at most maxInFlight. */
  readonly regapped: readonly number[];
  /** The batches with an attempt on the wire, whose outcome is not known yet: how many are in flight is its length. */
  readonly onWire: readonly number[];
  /** The epoch to switch to once nothing is on the wire. */
  readonly pendingEpoch: number | undefined;
  readonly claimsInARow: number;
  /** Batches refused as too large, to be replaced (renumbering those after them) once nothing is on the wire. */
  readonly resizes: number;
  /**
   * With an outbox: how often the batches were numbered anew (an epoch
   * switch, a replacement), and the last numbering the outbox has saved. No
   * batch goes while they differ: a batch sent under a numbering the outbox
   * does not hold could, after a crash, be sent again under its old one.
   */
  readonly numbering: number;
  readonly savedNumbering: number;
  /** Whether numberings must be saved before batches go (a producer with an outbox). */
  readonly durable: boolean;
}

/**
 * What changes the bookkeeping: an attempt put on the wire (`sent`), its
 * outcome (`accepted`, `gap`, `closed`, `too-large`, `failed`, `fenced`),
 * and `restart()`.
 * - `accepted`: the server acknowledged (200 or 204) batch `ordinal`, sent in `epoch`;
 * - `gap`: it answered with a sequence gap;
 * - `closed`: the batch met a closed stream (a later batch still out may have closed it);
 * - `too-large`: it was refused as too large (413): it is replaced by smaller
 *   batches once nothing is on the wire, and the batches after it renumbered;
 * - `failed`: the attempt failed for good (the producer stops);
 * - `fenced`: the server fenced `epoch`, being at `serverEpoch`: the next epoch is claimed;
 * - `restart`: move to the next epoch, from seq 0;
 * - `resume`: before anything is sent, an outbox says where the numbering
 *   stands: the first batch not acknowledged goes as `seq` in `epoch`, and
 *   the first `batches` are the outbox's (sent by an earlier producer, maybe
 *   written: see {@link Sequencer}'s restarts);
 * - `numbering-saved`: the outbox holds the batches under numbering `numbering`.
 */
export type SequenceEvent =
  | { readonly type: 'sent'; readonly ordinal: number }
  | { readonly type: 'accepted'; readonly ordinal: number; readonly epoch: number }
  | { readonly type: 'gap' | 'closed' | 'too-large' | 'failed'; readonly ordinal: number }
  | { readonly type: 'fenced'; readonly ordinal: number; readonly epoch: number; readonly serverEpoch: number }
  | { readonly type: 'restart' }
  | { readonly type: 'resume'; readonly epoch: number; readonly seq: number; readonly batches: number }
  | { readonly type: 'numbering-saved'; readonly numbering: number };

/**
 * The result of an event: the next state, and how many refused batches are
 * to be replaced now (`resize`: nothing is on the wire any more, and the
 * state already numbers what follows them anew).
 */
export interface SequenceStep {
  readonly state: SequenceState;
  readonly resize: number;
}

const WAIT: Turn = Object.freeze({ kind: 'wait' });
const ACCEPTED: Turn = Object.freeze({ kind: 'accepted' });

/** Nothing sent yet: epoch `epoch` from seq 0, batch 0 first; `durable` with an outbox. */
export function initialSequence(epoch: number, durable = false): SequenceState {
  return {
    epoch,
    base: 0,
    established: false,
    acceptedBelow: 0,
    sentBelow: 0,
    regapped: [],
    onWire: [],
    pendingEpoch: undefined,
    claimsInARow: 0,
    resizes: 0,
    numbering: 0,
    savedNumbering: 0,
    durable,
  };
}

/**
 * Folds an event into the state. Pure. Two facts of the protocol carry
 * the design:
 * - The server accepts seq n + 1 of an epoch only after seq n. So an
 *   acknowledgement of a batch proves every earlier batch written, and
 *   `acceptedBelow` can advance to it even if earlier responses are lost.
 * - A new epoch must start at seq 0, and a higher seq arriving first is
 *   rejected (400). So the first batch of an epoch goes alone, and the
 *   rest follow once it is acknowledged.
 *
 * An epoch switch (a stale-epoch claim, or `restart`) and the replacement
 * of batches refused as too large wait until no attempt is on the wire, so
 * that every batch's fate in the old numbering is known; then the
 * unacknowledged batches are numbered anew, in order (from seq 0 under a
 * new epoch). Nothing accepted is sent again, nothing is skipped.
 */
export function reduceSequence(state: SequenceState, event: SequenceEvent): SequenceStep {
  if (event.type === 'restart')
    return whenQuiet({ ...state, pendingEpoch: Math.max(state.pendingEpoch ?? state.epoch, state.epoch) + 1 });
  if (event.type === 'resume') return { state: resume(state, event.epoch, event.seq), resize: 0 };
  if (event.type === 'numbering-saved')
    return { state: { ...state, savedNumbering: Math.max(state.savedNumbering, event.numbering) }, resize: 0 };
  const onWire = event.type === 'sent' ? [...state.onWire, event.ordinal] : without(state.onWire, event.ordinal);
  const next = { ...state, onWire };
  switch (event.type) {
    case 'sent':
      return {
        state: {
          ...next,
          regapped: without(state.regapped, event.ordinal),
          sentBelow: Math.max(state.sentBelow, event.ordinal + 1),
        },
        resize: 0,
      };
    case 'accepted': {
      const current = event.epoch === state.epoch;
      return whenQuiet({
        ...next,
        acceptedBelow: Math.max(state.acceptedBelow, event.ordinal + 1),
        established: state.established || current,
        claimsInARow: current ? 0 : state.claimsInARow,
      });
    }
    case 'gap':
      return whenQuiet({ ...next, regapped: [...state.regapped, event.ordinal] });
    case 'too-large':
      return whenQuiet({ ...next, resizes: state.resizes + 1 });
    case 'fenced':
      return whenQuiet(event.epoch === state.epoch ? claim(next, event.serverEpoch) : next);
    case 'closed':
    case 'failed':
      return whenQuiet(next);
  }
}

/** Claims the epoch after the server's (and after ours): counted once per claim, however many batches meet the fence. */
function claim(state: SequenceState, serverEpoch: number): SequenceState {
  return {
    ...state,
    claimsInARow: state.pendingEpoch === undefined ? state.claimsInARow + 1 : state.claimsInARow,
    pendingEpoch: Math.max(state.pendingEpoch ?? 0, serverEpoch + 1, state.epoch + 1),
  };
}

/** Where an outbox's batches stand: the first not acknowledged is `seq` in `epoch`; a seq above 0 means seq 0 was acknowledged. */
function resume(state: SequenceState, epoch: number, seq: number): SequenceState {
  const base = state.acceptedBelow - seq;
  return { ...state, epoch, base, established: seq > 0, sentBelow: state.acceptedBelow, pendingEpoch: undefined };
}

/** Once nothing is on the wire: replaces the refused batches, and switches to the pending epoch. */
function whenQuiet(state: SequenceState): SequenceStep {
  if (state.onWire.length > 0 || (state.resizes === 0 && state.pendingEpoch === undefined)) return { state, resize: 0 };
  // What follows the resized batches is numbered anew: sent again in order, as after an epoch switch.
  const renumbered: SequenceState = {
    ...state,
    resizes: 0,
    sentBelow: state.acceptedBelow,
    regapped: [],
    numbering: state.durable ? state.numbering + 1 : state.numbering,
  };
  if (state.pendingEpoch === undefined) return { state: renumbered, resize: state.resizes };
  return {
    state: {
      ...renumbered,
      epoch: state.pendingEpoch,
      pendingEpoch: undefined,
      base: state.acceptedBelow,
      established: false,
    },
    resize: state.resizes,
  };
}

/** What batch `ordinal` may do now; `setback` is how its last attempt ended, if it did not land. Pure. */
export function turnOf(state: SequenceState, ordinal: number, setback?: Setback): Turn {
  if (ordinal < state.acceptedBelow) return ACCEPTED;
  if (state.resizes > 0 || state.numbering !== state.savedNumbering) return WAIT;
  // Met a closed stream: a later batch still out may prove it written.
  if (setback?.kind === 'closed' && state.onWire.length > 0) return WAIT;
  if (state.pendingEpoch !== undefined) return WAIT;
  // A gap means an earlier batch had not arrived yet: wait for all of them.
  if (setback?.kind === 'gap' && setback.epoch === state.epoch && ordinal > state.acceptedBelow) return WAIT;
  if (!state.established && ordinal !== state.base) return WAIT;
  // First sends go in ordinal order, whatever order waiters are asked in:
  // a batch sent before its predecessor would likely meet a gap.
  if (ordinal > state.sentBelow) return WAIT;
  // Likewise past an earlier batch that met a gap and has to go again:
  // such cascades would send every batch twice.
  for (const waiting of state.regapped) if (waiting < ordinal) return WAIT;
  return {
    kind: 'send',
    epoch: state.epoch,
    seq: ordinal - state.base,
    predecessorsPending: ordinal > state.acceptedBelow,
  };
}

/** The seq the next batch not yet sent will get. */
export function nextSeqOf(state: SequenceState): number {
  return Math.max(state.sentBelow, state.base) - state.base;
}

/**
 * After a `closed` outcome of batch `ordinal`: whether it may yet turn out
 * written (a later acknowledgement says so already, or later batches are
 * still out).
 */
export function mayBeWritten(state: SequenceState, ordinal: number): boolean {
  return ordinal < state.acceptedBelow || state.onWire.length > 0;
}

/** After a `fenced` outcome: whether claiming has not failed too often in a row. */
export function mayClaim(state: SequenceState): boolean {
  return state.claimsInARow <= MAX_CLAIMS_IN_A_ROW;
}

function without(list: readonly number[], ordinal: number): readonly number[] {
  const at = list.indexOf(ordinal);
  return at < 0 ? list : [...list.slice(0, at), ...list.slice(at + 1)];
}
