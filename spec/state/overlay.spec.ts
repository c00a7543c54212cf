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
import { collectionMap, countedCollection, entities } from './support/counted-collection';

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

  describe('cost of a batch', () => {
    const updates = (offset: string, count: number, size: number, txid?: string) =>
      batch(offset, ...Array.from({ length: count }, (_, i) => change('update', `k${(i * 97) % size}`, { i }, txid)));

    /** `state` with every collection of its confirmed state and view swapped for a counted copy. */
    function counted(state: StoreState) {
      const swap = (map: CollectionMap) => {
        const swapped = Object.entries(map).map(([type, collection]) => [type, countedCollection(collection)] as const);
        const counts = Object.fromEntries(swapped);
        return { map: collectionMap(Object.fromEntries(swapped.map(([type, c]) => [type, c.collection]))), counts };
      };
      const confirmed = swap(state.confirmed);
      const view = state.view === state.confirmed ? confirmed : swap(state.view);
      return {
        state: { ...state, confirmed: confirmed.map, view: view.map },
        confirmed: confirmed.counts,
        view: view.counts,
      };
    }

    it('nothing pending: copies the collection once for 1 000 messages, and the view is the confirmed state', () => {
      const seeded = reduceStore(
        initialState(empty, undefined),
        batch('1', ...Object.entries(entities(10_000)).map(([k, v]) => change('insert', k, v))),
        empty,
      );
      const { state, confirmed } = counted(seeded);
      const next = reduceStore(state, updates('2', 1_000, 10_000), empty);

      expect(confirmed['todos'].listings()).toBe(1);
      expect(confirmed['tags'].listings()).toBe(0);
      expect(next.view).toBe(next.confirmed);
      expect(next.confirmed['tags']).toBe(state.confirmed['tags']);
      expect(next.confirmed['todos']['k1']).toBe(state.confirmed['todos']['k1']);
    });

    it('with a mutation pending: copies the confirmed collection and the shown one once each, comparing no collection whole', () => {
      const seeded = run(
        batch('1', ...Object.entries(entities(10_000)).map(([k, v]) => change('insert', k, v))),
        mutate('t1', change('update', 'k0', 'mine'), change('insert', 'x', 'mine', undefined, 'tag')),
      );
      const { state, confirmed, view } = counted(last(seeded));
      const next = reduceStore(state, updates('2', 1_000, 10_000), empty);

      expect(confirmed['todos'].listings()).toBe(1);
      expect(view['todos'].listings()).toBe(1);
      expect(confirmed['tags'].listings() + view['tags'].listings()).toBe(0);
      expect(next.view['todos']['k0']).toBe('mine');
      expect(next.view['todos']['k97']).toEqual({ i: 1 });
      expect(next.view['tags']).toBe(state.view['tags']);
      // The mutation read back: the view is the confirmed state again, and nothing is listed whole to get there.
      const { state: before, confirmed: again } = counted(next);
      const done = reduceStore(
        before,
        batch('3', change('update', 'k0', 'mine', 't1'), change('insert', 'x', 'mine', 't1', 'tag')),
        empty,
      );
      expect(done.pending).toEqual([]);
      expect(done.view).toBe(done.confirmed);
      expect(again['todos'].listings()).toBe(1);
    });
  });

  it('shows the confirmed state with the pending mutations applied in order, after any sequence of events', () => {
    // A deterministic walk through batches, mutations, failures, read-backs and resets, checked at every step
    // against the view computed the plain way: every pending mutation applied, in order, on a copy of the confirmed state.
    let seed = 7;
    const random = (n: number) => {
      seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31;
      return seed % n;
    };
    const keys = ['a', 'b', 'c', 'd'];
    const step = (txid?: string) => {
      const [key, type] = [keys[random(keys.length)], random(3) === 0 ? 'tag' : 'todo'];
      return random(4) === 0
        ? change('delete', key, undefined, txid, type)
        : change('upsert', key, random(5), txid, type);
    };
    let state = initialState(empty, undefined);
    let next = 0;
    const written: { txid: string; items: ReturnType<typeof change>[] }[] = [];
    for (let i = 0; i < 400; i += 1) {
      const roll = random(10);
      let event: StoreEvent;
      if (roll < 3) {
        const txid = `t${(next += 1)}`;
        const items = Array.from({ length: 1 + random(3) }, () => step(txid));
        written.push({ txid, items });
        event = mutate(txid, ...items);
      } else if (roll < 5 && written.length > 0) {
        const { items } = written.splice(random(written.length), 1)[0];
        event = batch(`${i}`, ...items);
      } else if (roll === 5 && written.length > 0) {
        event = { kind: 'failed', txid: written.splice(random(written.length), 1)[0].txid };
      } else if (roll === 6 && random(4) === 0) {
        event = batch(`${i}`, { headers: { control: 'reset' } }, step());
      } else event = batch(`${i}`, ...Array.from({ length: random(3) }, () => step()));
      const before = state;
      state = reduceStore(state, event, empty);

      const plain = Object.fromEntries(Object.entries(state.confirmed).map(([type, c]) => [type, { ...c }]));
      for (const { ops } of state.pending)
        for (const op of ops) {
          if (op.kind === 'set') (plain[op.collection] ??= {})[op.key] = op.value;
          else if (op.kind === 'delete' && plain[op.collection]) Reflect.deleteProperty(plain[op.collection], op.key);
        }
      const shown = Object.fromEntries(Object.entries(state.view).map(([type, c]) => [type, { ...c }]));
      expect(shown).toEqual(plain);
      if (state.pending.length === 0) expect(state.view).toBe(state.confirmed);
      for (const type of Object.keys(state.view)) {
        expect(Object.isFrozen(state.view[type])).toBe(true);
        const same = JSON.stringify({ ...before.view[type] }) === JSON.stringify({ ...state.view[type] });
        if (same && before.view[type]) expect(state.view[type]).toBe(before.view[type]);
      }
    }
  });
});
