import {
  initialSequence,
  mayBeWritten,
  mayClaim,
  MAX_CLAIMS_IN_A_ROW,
  nextSeqOf,
  reduceSequence,
  turnOf,
  type SequenceEvent,
  type SequenceState,
  type Turn,
} from '../../lib/produce/sequence-state';

const send = (epoch: number, seq: number, predecessorsPending = false): Turn => ({
  kind: 'send',
  epoch,
  seq,
  predecessorsPending,
});
const WAIT: Turn = { kind: 'wait' };
const ACCEPTED: Turn = { kind: 'accepted' };

/** The reducer with a cursor: `s.on(event)` folds one event in; `s.go(ordinal)` sends it if its turn is `send`. */
class Sequence {
  state: SequenceState;
  /** Replacements the reducer made due so far. */
  resized = 0;
  constructor(epoch: number) {
    this.state = initialSequence(epoch);
  }
  on(event: SequenceEvent): SequenceState {
    const step = reduceSequence(this.state, event);
    this.resized += step.resize;
    return (this.state = step.state);
  }
  turn(ordinal: number, setback?: Parameters<typeof turnOf>[2]): Turn {
    return turnOf(this.state, ordinal, setback);
  }
  /** Batch 0 sent and acknowledged, then batches 1 to `last` sent (pipelined). */
  established(last: number): this {
    this.go(0);
    this.accepted(0);
    for (let ordinal = 1; ordinal <= last; ordinal++) this.go(ordinal);
    return this;
  }
  go(ordinal: number): Turn {
    const turn = this.turn(ordinal);
    if (turn.kind === 'send') this.on({ type: 'sent', ordinal });
    return turn;
  }
  accepted(ordinal: number, epoch = this.state.epoch): SequenceState {
    return this.on({ type: 'accepted', ordinal, epoch });
  }
  fenced(ordinal: number, epoch: number, serverEpoch: number): boolean {
    return mayClaim(this.on({ type: 'fenced', ordinal, epoch, serverEpoch }));
  }
}

describe('reduceSequence and turnOf', () => {
  it('sends the first batch of an epoch alone, then pipelines from seq 1', () => {
    const s = new Sequence(3);
    expect(s.go(0)).toEqual(send(3, 0));
    expect(s.turn(1)).toEqual(WAIT);
    s.accepted(0);
    expect(s.go(1)).toEqual(send(3, 1));
    expect(s.go(2)).toEqual(send(3, 2, true));
    expect(s.go(3)).toEqual(send(3, 3, true));
    expect(nextSeqOf(s.state)).toBe(4);
    expect(s.state.epoch).toBe(3);
  });

  it('derives what is in flight from the events: every attempt sent and not yet answered', () => {
    const s = new Sequence(0).established(3);
    expect(s.state.onWire).toEqual([1, 2, 3]);
    s.on({ type: 'gap', ordinal: 2 });
    s.accepted(3);
    expect(s.state.onWire).toEqual([1]);
    s.on({ type: 'failed', ordinal: 1 });
    expect(s.state.onWire).toEqual([]);
  });

  it('never mutates a state: each event gives a new one', () => {
    const s = new Sequence(0);
    const before = s.state;
    const frozen = JSON.stringify(before);
    s.go(0);
    s.accepted(0);
    s.on({ type: 'restart' });
    expect(JSON.stringify(before)).toBe(frozen);
    expect(s.state).not.toBe(before);
  });

  it('keeps first sends in ordinal order whatever order it is asked in', () => {
    const s = new Sequence(0);
    s.go(0);
    s.accepted(0);
    expect(s.turn(2)).toEqual(WAIT);
    expect(s.go(1)).toEqual(send(0, 1));
    expect(s.go(2)).toEqual(send(0, 2, true));
  });

  it('after a gap, resends once every earlier batch is acknowledged, and holds later first sends until then', () => {
    const s = new Sequence(0).established(2);
    s.on({ type: 'gap', ordinal: 2 }); // 2 overtook 1
    const setback = { kind: 'gap' as const, epoch: 0, seq: 2 };
    expect(s.turn(2, setback)).toEqual(WAIT);
    expect(s.turn(3)).toEqual(WAIT); // would only meet a gap too
    s.accepted(1);
    expect(s.turn(3)).toEqual(WAIT); // 2 goes first
    expect(s.turn(2, setback)).toEqual(send(0, 2));
    s.on({ type: 'sent', ordinal: 2 });
    expect(s.go(3)).toEqual(send(0, 3, true));
  });

  it('takes an acknowledgement as proof that every earlier batch was written', () => {
    const s = new Sequence(0).established(2);
    s.accepted(2); // 1's response is still out (or was lost)
    expect(s.turn(1)).toEqual(ACCEPTED);
  });

  it('claims the next epoch after a fence once nothing is on the wire, renumbering unacknowledged batches from seq 0', () => {
    const s = new Sequence(0).established(3);
    expect(s.fenced(2, 0, 7)).toBe(true); // batch 2: another producer took over at epoch 7
    expect(s.state.epoch).toBe(0); // 1 and 3 are still on the wire
    expect(s.turn(2, { kind: 'fenced', epoch: 0, seq: 2 })).toEqual(WAIT);
    s.accepted(1, 0); // 1 landed before the takeover
    s.fenced(3, 0, 7); // 3 did not
    expect(s.state.epoch).toBe(8);
    expect(nextSeqOf(s.state)).toBe(0);
    expect(s.turn(1)).toEqual(ACCEPTED);
    expect(s.turn(3)).toEqual(WAIT); // the new epoch starts with 2, alone
    expect(s.go(2)).toEqual(send(8, 0));
    s.accepted(2, 8);
    expect(s.go(3)).toEqual(send(8, 1));
  });

  it('gives up after too many claims in a row without an acknowledgement', () => {
    const s = new Sequence(0);
    let epoch = 0;
    for (let claim = 1; claim <= MAX_CLAIMS_IN_A_ROW; claim++) {
      s.go(0);
      expect(s.fenced(0, epoch, epoch + 10)).toBe(true);
      epoch = s.state.epoch;
    }
    s.go(0);
    expect(s.fenced(0, epoch, epoch + 10)).toBe(false);
  });

  it('resets the claim count when a batch lands', () => {
    const s = new Sequence(0);
    for (let round = 0; round < MAX_CLAIMS_IN_A_ROW * 2; round++) {
      s.go(round);
      expect(s.fenced(round, s.state.epoch, s.state.epoch)).toBe(true);
      s.go(round);
      s.accepted(round);
    }
  });

  it('restarts into the next epoch from seq 0 once in-flight batches settle', () => {
    const s = new Sequence(2);
    s.go(0);
    s.accepted(0);
    s.go(1);
    s.on({ type: 'restart' });
    expect(s.state.epoch).toBe(2);
    expect(s.turn(2)).toEqual(WAIT);
    s.accepted(1, 2);
    expect(s.state.epoch).toBe(3);
    expect(s.go(2)).toEqual(send(3, 0));
  });

  it('restarts at once when nothing is on the wire, and twice means two epochs up', () => {
    const s = new Sequence(0);
    s.on({ type: 'restart' });
    expect(s.state.epoch).toBe(1);
    s.go(0);
    s.on({ type: 'restart' });
    s.on({ type: 'restart' });
    s.accepted(0, 1);
    expect(s.state.epoch).toBe(3);
  });

  it('forgets gaps of the old epoch when it switches', () => {
    const s = new Sequence(0).established(2);
    s.on({ type: 'gap', ordinal: 2 });
    s.fenced(1, 0, 0);
    expect(s.state.epoch).toBe(1);
    expect(s.go(1)).toEqual(send(1, 0));
    s.accepted(1, 1);
    expect(s.go(2)).toEqual(send(1, 1));
  });

  it('holds every batch while a refused one waits to be replaced, and says when once nothing is on the wire', () => {
    const s = new Sequence(0).established(2);
    s.on({ type: 'too-large', ordinal: 1 });
    expect(s.resized).toBe(0); // 2 is still out
    expect(s.turn(1)).toEqual(WAIT);
    s.on({ type: 'gap', ordinal: 2 });
    expect(s.resized).toBe(1);
    // Numbered anew from the refused batch, in order.
    expect(s.state.sentBelow).toBe(1);
    expect(s.state.regapped).toEqual([]);
    expect(s.go(1)).toEqual(send(0, 1));
    expect(s.go(2)).toEqual(send(0, 2, true));
  });

  it('says a batch refused by a closed stream may be written while a later one is out, or was acknowledged', () => {
    const s = new Sequence(0).established(2);
    expect(mayBeWritten(s.on({ type: 'closed', ordinal: 1 }), 1)).toBe(true);
    expect(s.turn(1, { kind: 'closed', epoch: 0, seq: 1 })).toEqual(WAIT);
    s.accepted(2);
    expect(s.turn(1, { kind: 'closed', epoch: 0, seq: 1 })).toEqual(ACCEPTED);
    s.go(3);
    expect(mayBeWritten(s.on({ type: 'closed', ordinal: 3 }), 3)).toBe(false);
  });

  it('resumes where an outbox stands: its first batch as its seq, pipelined at once when seq 0 was acknowledged before', () => {
    const s = new Sequence(0);
    s.on({ type: 'resume', epoch: 4, seq: 7, batches: 3 });
    expect(s.go(0)).toEqual(send(4, 7));
    expect(s.go(1)).toEqual(send(4, 8, true));
    expect(nextSeqOf(s.state)).toBe(9);
    const fresh = new Sequence(0);
    fresh.on({ type: 'resume', epoch: 4, seq: 0, batches: 2 });
    expect(fresh.go(0)).toEqual(send(4, 0));
    expect(fresh.turn(1)).toEqual(WAIT); // a new epoch: seq 0 goes alone
  });

  it('with an outbox, holds every batch after a renumbering until the outbox says it holds it', () => {
    const s = new Sequence(0);
    s.state = initialSequence(0, true);
    s.go(0);
    s.accepted(0);
    s.go(1);
    s.fenced(1, 0, 2);
    expect(s.state).toMatchObject({ epoch: 3, numbering: 1, savedNumbering: 0 });
    expect(s.turn(1)).toEqual(WAIT);
    s.on({ type: 'numbering-saved', numbering: 1 });
    expect(s.go(1)).toEqual(send(3, 0));
  });

  it('without an outbox, a renumbering holds nothing', () => {
    const s = new Sequence(0).established(1);
    s.fenced(1, 0, 2);
    expect(s.state).toMatchObject({ numbering: 0, savedNumbering: 0 });
    expect(s.go(1)).toEqual(send(3, 0));
  });
});
