/** What a store finds in its outbox at start-up: its stream's change messages, grouped by txid, in order. */
import { memoryOutbox } from '../../lib/index';
import { savedMutations } from '../../lib/state/saved-mutations';
import { outboxBatch, outboxHolding } from './support/outbox-holding';

const url = 'http://s/v1/stream/todos';
const change = (key: string, txid: string) => ({
  type: 'todo',
  key,
  value: { id: key },
  headers: { operation: 'insert', txid },
});
describe('savedMutations()', () => {
  it("groups the outbox's change messages by txid, in the order written, across batches, and gives the outbox up", async () => {
    const outbox = await outboxHolding(url, [
      outboxBatch(0, [change('a', 't1'), change('b', 't1')]),
      outboxBatch(1, [change('c', 't2')]),
      outboxBatch(2, [change('d', 't1'), { not: 'a change' }]),
    ]);
    const saved = await savedMutations(outbox, url);
    expect(saved.producerId).toBe('p1');
    expect(
      saved.mutations.map(({ txid, changes, followedBy }) => [txid, changes.map(({ key }) => key), followedBy]),
    ).toEqual([
      // followedBy: messages after its last; the value without a txid counts.
      ['t1', ['a', 'b', 'd'], 1],
      ['t2', ['c'], 2],
    ]);
    // Given up: the store's producer opens it next.
    await expect(outbox.open()).resolves.toBeDefined();
  });

  it("finds nothing in another stream's outbox, or an empty one", async () => {
    const other = await outboxHolding('http://s/v1/stream/other', [outboxBatch(0, [change('a', 't1')])]);
    expect(await savedMutations(other, url)).toEqual({ producerId: undefined, mutations: [] });
    expect(await savedMutations(memoryOutbox(), url)).toEqual({ producerId: undefined, mutations: [] });
  });
});
