import { joinDecision } from '../../../lib/read/shared/join-decision';
import type { TailSnapshot } from '../../../lib/read/shared/tail-snapshot';
import type { ReadStep } from '../../../lib/read/read-step';
import type { StreamPosition } from '../../../lib/protocol/position';

const at = (offset: string, upToDate = true): StreamPosition => ({ offset, upToDate, closed: false });
const step = (offset: string, payload = '', extra: Partial<ReadStep<string>> = {}): ReadStep<string> => ({
  payload,
  offset,
  upToDate: true,
  closed: false,
  ...extra,
});
const decide = (reader: StreamPosition, snapshot: TailSnapshot<string>, first = false) =>
  joinDecision(reader, snapshot, first, '', (p) => p === '');

describe('joinDecision', () => {
  it("joins a tail that stands at the reader's offset, waiting for its next step", () => {
    expect(decide(at('05'), { from: '05' })).toEqual({ kind: 'skip' });
  });

  it("delivers a step that starts exactly at the reader's offset", () => {
    const next = step('07', 'xy');
    expect(decide(at('05'), { from: '05', step: next })).toEqual({ kind: 'deliver', step: next });
  });

  it("skips a step that starts at the reader's offset but tells nothing new (a keep-alive)", () => {
    expect(decide(at('05'), { from: '05', step: step('05') })).toEqual({ kind: 'skip' });
  });

  it("delivers an EOF that starts at the reader's offset, even without data", () => {
    const eof = step('05', '', { closed: true });
    expect(decide(at('05'), { from: '05', step: eof })).toEqual({ kind: 'deliver', step: eof });
  });

  it('skips what the reader has already read: a tail behind it, or a step that ends where it stands', () => {
    expect(decide(at('05'), { from: '03' })).toEqual({ kind: 'skip' });
    expect(decide(at('05'), { from: '03', step: step('04', 'x') })).toEqual({ kind: 'skip' });
    expect(decide(at('05'), { from: '03', step: step('05', 'xy') })).toEqual({ kind: 'skip' });
  });

  it("rejoins when a step straddles the reader's offset: taking it would repeat data", () => {
    expect(decide(at('05'), { from: '03', step: step('07', 'xyzw') })).toEqual({ kind: 'rejoin' });
  });

  it('rejoins when the tail is ahead of the reader: taking it would skip data', () => {
    expect(decide(at('05'), { from: '06' })).toEqual({ kind: 'rejoin' });
    expect(decide(at('05'), { from: '06', step: step('07', 'x') })).toEqual({ kind: 'rejoin' });
  });

  it('compares offsets lexicographically, not by length or number', () => {
    expect(decide(at('0_10'), { from: '0_9' })).toEqual({ kind: 'rejoin' });
    expect(decide(at('0_9'), { from: '0_10' })).toEqual({ kind: 'skip' });
  });

  it('waits while the tail, started at now, has not heard where that is', () => {
    expect(decide(at('05'), { from: 'now' })).toEqual({ kind: 'skip' });
    expect(decide(at('05'), { from: 'now', step: step('05') })).toEqual({ kind: 'skip' });
    expect(decide(at('05'), { from: 'now', step: step('06') })).toEqual({ kind: 'rejoin' });
  });

  it("places a reader at now where the tail stands, with an empty up-to-date step and the tail's cursor", () => {
    expect(decide(at('now', false), { from: '03', cursor: 'c1' }, true)).toEqual({
      kind: 'deliver',
      step: { payload: '', offset: '03', cursor: 'c1', upToDate: true, closed: false },
    });
    expect(decide(at('now', false), { from: '03', step: step('07', 'xy', { cursor: 'c2' }) }, true)).toEqual({
      kind: 'deliver',
      step: { payload: '', offset: '07', cursor: 'c2', upToDate: true, closed: false },
    });
  });

  it("lets a reader at now that started the tail (at now too) wait, then take the tail's first step as its own", () => {
    expect(decide(at('now', false), { from: 'now' }, true)).toEqual({ kind: 'skip' });
    const first = step('09', 'data appended after the tail began');
    expect(decide(at('now', false), { from: 'now', step: first })).toEqual({ kind: 'deliver', step: first });
  });

  it("does not hand a reader at now that joins late the data of the tail's first step: only where it stands", () => {
    expect(
      decide(at('now', false), { from: 'now', step: step('09', 'data from before this reader came') }, true),
    ).toEqual({
      kind: 'deliver',
      step: { payload: '', offset: '09', upToDate: true, closed: false },
    });
  });
});
