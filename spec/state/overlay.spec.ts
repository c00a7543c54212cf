/**
 * The store's reducer, pure: remote batches layer under pending mutations in
 * stream order, a mutation read back retires (all its messages, even across
 * responses), a failed one is dropped, and identities are kept where nothing
 * changed (nothing pending: the view is the confirmed state itself).
 */
import { nullRecord, type CollectionMap } from '../../lib/state/collections';
import type { Collection } from '../../lib/state/snapshot';
import { decodeChanges, type DecodeContext } from '../../lib/state/decode-changes';
import { initialState, readBackBy, reduceStore, type StoreEvent, type StoreState } from '../../lib/state/overlay';

const context: DecodeContext = {
  routes: new Map([
    ['todo', { name: 'todos', schema: undefined }],
    ['tag', { name: 'tags', schema: undefined }],
  ]),
  onInvalid: 'error',
  url: 'http://s/x',
};
const empty: CollectionMap = Object.freeze(
  Object.assign(nullRecord<Collection>(), { todos: Object.freeze(nullRecord()), tags: Object.freeze(nullRecord()) }),
);
const position = (offset: string) => ({ checkpoint: { offset }, upToDate: true, closed: false });

const change = (operation: string, key: string, value?: unknown, txid?: string, type = 'todo') => ({
  type,
  key,
  ...(value === undefined ? {} : { value }),
  headers: { operation, ...(txid ? { txid } : {}) },
});
const batch = (offset: string, ...items: unknown[]): StoreEvent => ({
  kind: 'batch',
  changes: decodeChanges(items, offset, context),
  position: position(offset),
});
const mutate = (txid: string, ...items: ReturnType<typeof change>[]): StoreEvent => ({
  kind: 'mutate',
  txid,
  changes: items as never,
  ops: decodeChanges(items, undefined, context).ops,
});
const run = (...events: StoreEvent[]): StoreState[] => {
  const states = [initialState(empty, undefined)];
  for (const event of events) states.push(reduceStore(states[states.length - 1], event, empty));
  return states;
};
const last = <T>(items: readonly T[]): T => items[items.length - 1];

describe('reduceStore()', () => {
  it('shows a mutation on top, keeps it over remote changes, and retires it when its txid is read back', () => {
    const states = run(
      batch('1', change('insert', 'a', 'remote a')),
      mutate('t1', change('update', 'a', 'mine'), change('insert', 'b', 'mine b')),
      batch('2', change('update', 'a', 'remote again'), change('insert', 'c', 'remote c')),
      batch('3', change('update', 'a', 'mine', 't1'), change('insert', 'b', 'mine b', 't1')),
    );
    expect({ ...states[2].view['todos'] }).toEqual({ a: 'mine', b: 'mine b' });
    // The remote change lands under the pending one; the confirmed state is the stream's.
    expect({ ...states[3].view['todos'] }).toEqual({ a: 'mine', b: 'mine b', c: 'remote c' });
    expect({ ...states[3].confirmed['todos'] }).toEqual({ a: 'remote again', c: 'remote c' });
    expect(states[3].pending).toHaveLength(1);
    expect(states[4].pending).toEqual([]);
    expect(states[4].view).toBe(states[4].confirmed);
    expect(readBackBy(states[3], states[4])).toEqual(['t1']);
  });

  it('retires a mutation only once every one of its messages is read back, across responses', () => {
    const states = run(
      mutate('t1', change('insert', 'a', 1), change('insert', 'b', 2)),
      batch('1', change('insert', 'a', 1, 't1')),
      batch('2', change('insert', 'b', 2, 't1')),
    );
    expect(states[2].pending).toHaveLength(1);
    expect(readBackBy(states[1], states[2])).toEqual([]);
    expect(readBackBy(states[2], states[3])).toEqual(['t1']);
    expect({ ...states[3].view['todos'] }).toEqual({ a: 1, b: 2 });
  });

  it('drops a failed mutation and shows the later ones still pending', () => {
    const states = run(
      batch('1', change('insert', 'a', 'remote')),
      mutate('t1', change('update', 'a', 'first')),
      mutate('t2', change('insert', 'b', 'second')),
      { kind: 'failed', txid: 't1' },
    );
    expect({ ...last(states).view['todos'] }).toEqual({ a: 'remote', b: 'second' });
    expect(last(states).pending.map(({ mutation }) => mutation.txid)).toEqual(['t2']);
  });

  it("marks a delivered mutation, once, and changes nothing for a txid it doesn't know", () => {
    const states = run(mutate('t1', change('insert', 'a', 1)), { kind: 'delivered', txid: 't1' });
    expect(last(states).pending[0].mutation).toEqual({
      txid: 't1',
      changes: expect.any(Array) as unknown,
      status: 'delivered',
    });
    const again = reduceStore(last(states), { kind: 'delivered', txid: 't1' }, empty);
    expect(again).toBe(last(states));
    expect(reduceStore(last(states), { kind: 'failed', txid: 'other' }, empty)).toBe(last(states));
  });

  it('keeps the identity of every collection nothing changed in, pending or not', () => {
    const states = run(
      batch('1', change('insert', 'x', 1, undefined, 'tag'), change('insert', 'a', 1)),
      batch('2', change('insert', 'b', 2)),
      mutate('t1', change('insert', 'c', 3)),
      batch('3', change('insert', 'd', 4)),
      batch('4'),
    );
    expect(states[2].view['tags']).toBe(states[1].view['tags']);
    expect(states[3].view['tags']).toBe(states[2].view['tags']);
    expect(states[4].view['tags']).toBe(states[3].view['tags']);
    expect(states[5].view).toBe(states[4].view);
    expect(states[2].view).toBe(states[2].confirmed);
  });

  it('clears everything on a reset, pending mutations staying on top', () => {
    const states = run(
      batch('1', change('insert', 'a', 1)),
      mutate('t1', change('insert', 'b', 2)),
      batch('2', { headers: { control: 'reset' } }, change('insert', 'z', 26)),
    );
    expect({ ...last(states).view['todos'] }).toEqual({ b: 2, z: 26 });
  });
});
