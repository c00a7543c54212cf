import { halves } from '../../lib/produce/batch-split';
import { PRODUCER_LOAN } from '../../lib/produce/producer-loan';
import type { Batch } from '../../lib/produce/pending-batches';

const text = new TextEncoder();
const read = (body: Uint8Array | undefined) => new TextDecoder().decode(body);

const jsonBatch = (body: string, count: number): Batch => {
  const bytes = text.encode(body);
  return {
    ordinal: 4,
    count,
    bytes: bytes.byteLength - count - 1,
    endCount: 10,
    endBytes: 100,
    close: false,
    body: bytes,
    sizes: undefined,
    contentType: 'application/json',
    openedAt: 0,
  };
};

describe('halves() of a batch refused as too large (413)', () => {
  it('cuts a JSON array between its values and keeps each value byte for byte, never printed again', () => {
    // Text JSON.parse and JSON.stringify would not give back: a value made with JSON.rawJSON (a BigInt's toJSON),
    // a number past a double's precision, a number written 1.0, a string with a "\/" escape.
    const [first, second] = halves(
      jsonBatch('[12345678901234567890,{"a":[1.0,"]"]},"x\\/y",1e400,"\\"",[]]', 6),
      PRODUCER_LOAN,
    );
    expect(read(first.body)).toBe('[12345678901234567890,{"a":[1.0,"]"]},"x\\/y"]');
    expect(read(second.body)).toBe('[1e400,"\\"",[]]');
    expect([first.count, second.count, first.ordinal, second.ordinal]).toEqual([3, 3, 4, 5]);
  });

  it("counts each half's value bytes without the framing, and settles what the batch settled between them", () => {
    const batch = jsonBatch('["é",2,"three"]', 3);
    const [first, second] = halves(batch, PRODUCER_LOAN);
    expect([first.bytes, second.bytes, first.bytes + second.bytes]).toEqual([5, 7, batch.bytes]);
    expect([first.endCount, first.endBytes, second.endCount, second.endBytes]).toEqual([9, 93, 10, 100]);
  });
});
