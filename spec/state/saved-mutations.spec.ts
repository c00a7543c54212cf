/** What a store finds in its outbox at start-up: its stream's change messages, grouped by txid, in order. */
import { memoryOutbox } from '../../lib/index';
import type { OutboxBatch } from '../../lib/produce/outbox/producer-outbox';
import { savedMutations } from '../../lib/state/saved-mutations';

const url = 'http://s/v1/stream/todos';
const change = (key: string, txid: string) => ({
  type: 'todo',
  key,
  value: { id: key },
  headers: { operation: 'insert', txid },
});
const batch = (seq: number, values: unknown[]): OutboxBatch => ({
  epoch: 0,
  seq,
  count: values.length,
  body: new TextEncoder().encode(JSON.stringify(values)),
  sizes: undefined,
  close: false,
  contentType: 'application/json',
});

async function outboxHolding(streamUrl: string, batches: OutboxBatch[]) {
  const outbox = memoryOutbox();
  const session = await outbox.open();
  const position = {
    url: streamUrl,
    producerId: 'p1',
    epoch: 0,
    nextSeq: batches.length,
    contentType: 'application/json',
  };
  await session.write({ put: batches, position });
  await session.close();
  return outbox;
}

describe('savedMutations()', () => {
  it("groups the outbox's change messages by txid, in the order written, across batches, and gives the outbox up", async () => {
    const outbox = await outboxHolding(url, [
      batch(0, [change('a', 't1'), change('b', 't1')]),
      batch(1, [change('c', 't2')]),
      batch(2, [change('d', 't1'), { not: 'a change' }]),
    ]);
    const saved = await savedMutations(outbox, url);
    expect(saved.producerId).toBe('p1');
    expect(saved.mutations.map(({ txid, changes, last }) => [txid, changes.map(({ key }) => key), last])).toEqual([
      ['t1', ['a', 'b', 'd'], { epoch: 0, seq: 2 }],
      ['t2', ['c'], { epoch: 0, seq: 1 }],
    ]);
    // Given up: the store's producer opens it next.
    await expect(outbox.open()).resolves.toBeDefined();
  });

  it("finds nothing in another stream's outbox, or an empty one", async () => {
    const other = await outboxHolding('http://s/v1/stream/other', [batch(0, [change('a', 't1')])]);
    expect(await savedMutations(other, url)).toEqual({ producerId: undefined, mutations: [] });
    expect(await savedMutations(memoryOutbox(), url)).toEqual({ producerId: undefined, mutations: [] });
  });
});
