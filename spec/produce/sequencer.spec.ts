import { MAX_CLAIMS_IN_A_ROW, Sequencer, type Turn } from '../../lib/produce/sequencer';

const send = (epoch: number, seq: number, predecessorsPending = false): Turn => ({
  kind: 'send',
  epoch,
  seq,
  predecessorsPending,
});
const WAIT: Turn = { kind: 'wait' };
const ACCEPTED: Turn = { kind: 'accepted' };

/** Sends `ordinal` if its turn is `send`, returning the turn. */
function go(sequencer: Sequencer, ordinal: number): Turn {
  const turn = sequencer.turn(ordinal);
  if (turn.kind === 'send') sequencer.sending(ordinal, () => undefined);
  return turn;
}

describe('Sequencer', () => {
  it('sends the first batch of an epoch alone, then pipelines from seq 1', () => {
    const s = new Sequencer(3);
    expect(go(s, 0)).toEqual(send(3, 0));
    expect(s.turn(1)).toEqual(WAIT);
    s.accepted(0, 3);
    expect(go(s, 1)).toEqual(send(3, 1));
    expect(go(s, 2)).toEqual(send(3, 2, true));
    expect(go(s, 3)).toEqual(send(3, 3, true));
    expect(s.nextSeq).toBe(4);
    expect(s.epoch).toBe(3);
  });

  it('keeps first sends in ordinal order whatever order it is asked in', () => {
    const s = new Sequencer(0);
    go(s, 0);
    s.accepted(0, 0);
    expect(s.turn(2)).toEqual(WAIT);
    expect(go(s, 1)).toEqual(send(0, 1));
    expect(go(s, 2)).toEqual(send(0, 2, true));
  });

  it('after a gap, resends once every earlier batch is acknowledged, and holds later first sends until then', () => {
    const s = new Sequencer(0);
    go(s, 0);
    s.accepted(0, 0);
    go(s, 1);
    go(s, 2);
    s.gap(2); // 2 overtook 1
    const setback = { kind: 'gap' as const, epoch: 0, seq: 2 };
    expect(s.turn(2, setback)).toEqual(WAIT);
    expect(s.turn(3)).toEqual(WAIT); // would only meet a gap too
    s.accepted(1, 0);
    expect(s.turn(3)).toEqual(WAIT); // 2 goes first
    const again = s.turn(2, setback);
    expect(again).toEqual(send(0, 2));
    s.sending(2, () => undefined);
    expect(go(s, 3)).toEqual(send(0, 3, true));
  });

  it('takes an acknowledgement as proof that every earlier batch was written', () => {
    const s = new Sequencer(0);
    go(s, 0);
    s.accepted(0, 0);
    go(s, 1);
    go(s, 2);
    s.accepted(2, 0); // 1's response is still out (or was lost)
    expect(s.turn(1)).toEqual(ACCEPTED);
  });

  it('claims the next epoch after a fence once nothing is on the wire, renumbering unacknowledged batches from seq 0', () => {
    const s = new Sequencer(0);
    go(s, 0);
    s.accepted(0, 0);
    go(s, 1);
    go(s, 2);
    go(s, 3);
    expect(s.fenced(0, 7)).toBe(true); // batch 2: another producer took over at epoch 7
    expect(s.epoch).toBe(0); // 1 and 3 are still on the wire
    expect(s.turn(2, { kind: 'fenced', epoch: 0, seq: 2 })).toEqual(WAIT);
    s.accepted(1, 0); // 1 landed before the takeover
    s.fenced(0, 7); // 3 did not
    expect(s.epoch).toBe(8);
    expect(s.nextSeq).toBe(0);
    expect(s.turn(1)).toEqual(ACCEPTED);
    expect(s.turn(3)).toEqual(WAIT); // the new epoch starts with 2, alone
    expect(go(s, 2)).toEqual(send(8, 0));
    s.accepted(2, 8);
    expect(go(s, 3)).toEqual(send(8, 1));
  });

  it('gives up after too many claims in a row without an acknowledgement', () => {
    const s = new Sequencer(0);
    let epoch = 0;
    for (let claim = 1; claim <= MAX_CLAIMS_IN_A_ROW; claim++) {
      go(s, 0);
      expect(s.fenced(epoch, epoch + 10)).toBe(true);
      epoch = s.epoch;
    }
    go(s, 0);
    expect(s.fenced(epoch, epoch + 10)).toBe(false);
  });

  it('resets the claim count when a batch lands', () => {
    const s = new Sequencer(0);
    for (let round = 0; round < MAX_CLAIMS_IN_A_ROW * 2; round++) {
      go(s, round);
      expect(s.fenced(s.epoch, s.epoch)).toBe(true);
      go(s, round);
      s.accepted(round, s.epoch);
    }
  });

  it('restarts into the next epoch from seq 0 once in-flight batches settle', () => {
    const s = new Sequencer(2);
    go(s, 0);
    s.accepted(0, 2);
    go(s, 1);
    s.restart();
    expect(s.epoch).toBe(2);
    expect(s.turn(2)).toEqual(WAIT);
    s.accepted(1, 2);
    expect(s.epoch).toBe(3);
    expect(go(s, 2)).toEqual(send(3, 0));
  });

  it('restarts at once when nothing is on the wire, and twice means two epochs up', () => {
    const s = new Sequencer(0);
    s.restart();
    expect(s.epoch).toBe(1);
    go(s, 0);
    s.restart();
    s.restart();
    s.accepted(0, 1);
    expect(s.epoch).toBe(3);
  });

  it('forgets gaps of the old epoch when it switches', () => {
    const s = new Sequencer(0);
    go(s, 0);
    s.accepted(0, 0);
    go(s, 1);
    go(s, 2);
    s.gap(2);
    s.fenced(0, 0);
    expect(s.epoch).toBe(1);
    expect(go(s, 1)).toEqual(send(1, 0));
    s.accepted(1, 1);
    expect(go(s, 2)).toEqual(send(1, 1));
  });
});
