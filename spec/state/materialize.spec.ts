import { Observable, Subject } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { DurableStreamError, InvalidArgumentError } from '../../lib/errors/index.js';
import { materialize } from '../../lib/state/materialize.js';
import { StateProtocolError } from '../../lib/state/state-protocol-error.js';
import type { StateBatch } from '../../lib/state/messages.js';
import type { Collection, StateSnapshot } from '../../lib/state/snapshot.js';

const insert = (type: string, key: string, value: unknown) => ({ type, key, value, headers: { operation: 'insert' } });
const update = (type: string, key: string, value: unknown) => ({ type, key, value, headers: { operation: 'update' } });
const remove = (type: string, key: string) => ({ type, key, headers: { operation: 'delete' } });
const control = (signal: string) => ({ headers: { control: signal } });

/** The snapshot expected for a bare-array batch. */
const state = (collections: object, extra: Partial<StateSnapshot> = {}) => ({
  collections,
  snapshotInProgress: false,
  upToDate: undefined,
  offset: undefined,
  closed: undefined,
  ...extra,
});

const alice = { name: 'Alice' };
const aliceSmith = { name: 'Alice Smith' };
const bob = { name: 'Bob' };

describe('materialize', () => {
  let testScheduler: TestScheduler;

  beforeEach(() => {
    testScheduler = new TestScheduler((actual, expected) => expect(actual).toEqual(expected));
  });

  /** Runs `source` through the operator and returns every emitted snapshot. */
  function collect(marbles: string, batches: Record<string, StateBatch>, op = materialize()): StateSnapshot[] {
    const out: StateSnapshot[] = [];
    testScheduler.run(({ cold }) => {
      cold(marbles, batches)
        .pipe(op)
        .subscribe((snapshot) => out.push(snapshot));
    });
    return out;
  }

  describe('change messages', () => {
    it('stores inserted values by type and key', () => {
      testScheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
        const source = cold('-a-|', { a: [insert('user', '1', alice), insert('user', '2', bob)] });
        expectObservable(source.pipe(materialize())).toBe('-s-|', { s: state({ user: { 1: alice, 2: bob } }) });
        expectSubscriptions(source.subscriptions).toBe('^--!');
      });
    });

    it('replaces the value on update, and stores an update of an unknown key', () => {
      testScheduler.run(({ cold, expectObservable }) => {
        const source = cold('-a-b-|', {
          a: [insert('user', '1', alice)],
          b: [update('user', '1', aliceSmith), update('user', '2', bob)],
        });
        expectObservable(source.pipe(materialize())).toBe('-s-t-|', {
          s: state({ user: { 1: alice } }),
          t: state({ user: { 1: aliceSmith, 2: bob } }),
        });
      });
    });

    it('reads upsert, as @durable-streams/state writes it, as insert-or-update', () => {
      testScheduler.run(({ cold, expectObservable }) => {
        const upsert = (key: string, value: unknown) => ({
          type: 'user',
          key,
          value,
          headers: { operation: 'upsert' },
        });
        const source = cold('-a-b-|', { a: [upsert('1', alice)], b: [upsert('1', aliceSmith), upsert('2', bob)] });
        expectObservable(source.pipe(materialize())).toBe('-s-t-|', {
          s: state({ user: { 1: alice } }),
          t: state({ user: { 1: aliceSmith, 2: bob } }),
        });
      });
    });

    it('treats a repeated insert as last-write-wins', () => {
      testScheduler.run(({ cold, expectObservable }) => {
        const source = cold('-a-|', { a: [insert('user', '1', alice), insert('user', '1', bob)] });
        expectObservable(source.pipe(materialize())).toBe('-s-|', { s: state({ user: { 1: bob } }) });
      });
    });

    it('removes the entity on delete, with or without value and old_value', () => {
      testScheduler.run(({ cold, expectObservable }) => {
        const source = cold('-a-b-c-|', {
          a: [insert('user', '1', alice), insert('user', '2', bob), insert('user', '3', bob)],
          b: [remove('user', '1'), { ...remove('user', '2'), value: null, old_value: bob }],
          c: [remove('user', '3'), remove('user', 'never-existed'), remove('ghost', 'x')],
        });
        expectObservable(source.pipe(materialize())).toBe('-s-t-u-|', {
          s: state({ user: { 1: alice, 2: bob, 3: bob } }),
          t: state({ user: { 3: bob } }),
          u: state({ user: {} }),
        });
      });
    });

    it('materializes the example of State Protocol section 6', () => {
      testScheduler.run(({ cold, expectObservable }) => {
        const source = cold('-a-|', {
          a: [insert('user', '1', alice), insert('user', '2', bob), update('user', '1', aliceSmith)],
        });
        expectObservable(source.pipe(materialize())).toBe('-s-|', { s: state({ user: { 1: aliceSmith, 2: bob } }) });
      });
    });

    it('keeps one collection per entity type in a multi-type stream', () => {
      testScheduler.run(({ cold, expectObservable }) => {
        const message = { userId: '1', text: 'Hello!' };
        const source = cold('-a-|', {
          a: [insert('user', '1', alice), insert('message', '1', message), insert('config', 'theme', 'dark')],
        });
        expectObservable(source.pipe(materialize())).toBe('-s-|', {
          s: state({ user: { 1: alice }, message: { 1: message }, config: { theme: 'dark' } }),
        });
      });
    });

    it('accepts any JSON value, including null, and ignores old_value, txid, timestamp and unknown fields', () => {
      testScheduler.run(({ cold, expectObservable }) => {
        const source = cold('-a-|', {
          a: [
            insert('flag', 'off', null),
            insert('flag', 'list', [1, 2]),
            {
              ...update('flag', 'n', 0),
              old_value: 7,
              extra: true,
              headers: { operation: 'update', txid: 'tx-1', timestamp: '2025-01-15T10:30:00.123+02:00', from: 'x' },
            },
          ],
        });
        expectObservable(source.pipe(materialize())).toBe('-s-|', {
          s: state({ flag: { off: null, list: [1, 2], n: 0 } }),
        });
      });
    });
  });

  describe('batches', () => {
    it('emits once per batch, after applying all of its messages', () => {
      testScheduler.run(({ cold, expectObservable }) => {
        const source = cold('-a--b|', {
          a: [
            insert('user', '1', alice),
            update('user', '1', aliceSmith),
            remove('user', '1'),
            insert('user', '2', bob),
          ],
          b: [insert('user', '3', alice)],
        });
        expectObservable(source.pipe(materialize())).toBe('-s--t|', {
          s: state({ user: { 2: bob } }),
          t: state({ user: { 2: bob, 3: alice } }),
        });
      });
    });

    it('emits for an empty batch too, with the previous collections', () => {
      const [first, second] = collect('-a-b-|', { a: [insert('user', '1', alice)], b: [] });
      expect(second).toEqual(state({ user: { 1: alice } }));
      expect(second).not.toBe(first);
      expect(second.collections).toBe(first.collections);
    });

    it('reads JsonBatch-shaped batches and reports their offset, upToDate and closed flags', () => {
      testScheduler.run(({ cold, expectObservable }) => {
        const source = cold('-a-b-c-|', {
          a: {
            items: [insert('user', '1', alice)],
            offset: '0_10',
            cursor: 'c1',
            upToDate: false,
            closed: false,
            checkpoint: {},
          },
          b: { items: [], offset: '0_20', upToDate: true },
          c: { items: [insert('user', '2', bob)], offset: '0_30', upToDate: true, closed: true },
        });
        expectObservable(source.pipe(materialize())).toBe('-s-t-u-|', {
          s: state({ user: { 1: alice } }, { offset: '0_10', upToDate: false, closed: false }),
          t: state({ user: { 1: alice } }, { offset: '0_20', upToDate: true }),
          u: state({ user: { 1: alice, 2: bob } }, { offset: '0_30', upToDate: true, closed: true }),
        });
      });
    });
  });

  describe('control messages', () => {
    it('flags snapshotInProgress from snapshot-start to snapshot-end, emitting the partial state of each batch', () => {
      testScheduler.run(({ cold, expectObservable }) => {
        const source = cold('-a-b-c-d-|', {
          a: [insert('user', '0', bob)],
          b: [control('snapshot-start'), insert('user', '1', alice)],
          c: [insert('user', '2', bob)],
          d: [insert('user', '3', alice), { headers: { control: 'snapshot-end', offset: '123456_789' } }],
        });
        expectObservable(source.pipe(materialize())).toBe('-s-t-u-v-|', {
          s: state({ user: { 0: bob } }),
          t: state({ user: { 0: bob, 1: alice } }, { snapshotInProgress: true }),
          u: state({ user: { 0: bob, 1: alice, 2: bob } }, { snapshotInProgress: true }),
          v: state({ user: { 0: bob, 1: alice, 2: bob, 3: alice } }),
        });
      });
    });

    it('reports a snapshot started and ended within one batch as not in progress', () => {
      const [snapshot] = collect('-a-|', {
        a: [control('snapshot-start'), insert('user', '1', alice), control('snapshot-end')],
      });
      expect(snapshot).toEqual(state({ user: { 1: alice } }));
    });

    it('tolerates snapshot-end without snapshot-start (a read resumed inside a snapshot)', () => {
      const [snapshot] = collect('-a-|', { a: [insert('user', '1', alice), control('snapshot-end')] });
      expect(snapshot).toEqual(state({ user: { 1: alice } }));
    });

    it('clears all state on reset and applies the messages after it', () => {
      testScheduler.run(({ cold, expectObservable }) => {
        const source = cold('-a-b-c-|', {
          a: [insert('user', '1', alice), insert('message', '1', 'hi')],
          b: [
            insert('user', '2', bob),
            { headers: { control: 'reset', offset: '123456_000' } },
            insert('user', '3', alice),
          ],
          c: [control('reset')],
        });
        expectObservable(source.pipe(materialize())).toBe('-s-t-u-|', {
          s: state({ user: { 1: alice }, message: { 1: 'hi' } }),
          t: state({ user: { 3: alice } }),
          u: state({}),
        });
      });
    });

    it('ends a snapshot in progress on reset', () => {
      const snapshots = collect('-a-b-|', {
        a: [control('snapshot-start'), insert('user', '1', alice)],
        b: [control('reset')],
      });
      expect(snapshots.map((s) => s.snapshotInProgress)).toEqual([true, false]);
      expect(snapshots[1].collections).toEqual({});
    });
  });

  describe('options', () => {
    it('keeps only the listed types, with their collections present from the first emission', () => {
      testScheduler.run(({ cold, expectObservable }) => {
        const source = cold('-a-b-|', {
          a: [insert('message', '1', 'hi')],
          b: [insert('user', '1', alice), insert('reaction', '1', '+1')],
        });
        expectObservable(source.pipe(materialize({ types: ['user', 'presence'] }))).toBe('-s-t-|', {
          s: state({ user: {}, presence: {} }),
          t: state({ user: { 1: alice }, presence: {} }),
        });
      });
    });

    it('keeps the listed types as empty collections after a reset', () => {
      const [, afterReset] = collect(
        '-a-b-|',
        { a: [insert('user', '1', alice)], b: [control('reset')] },
        materialize({ types: ['user'] }),
      );
      expect(afterReset.collections).toEqual({ user: {} });
    });

    it("errors on an unlisted type when unknownTypes is 'error'", () => {
      testScheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
        const bad = insert('admin', '1', alice);
        const source = cold('-a-b-|', { a: [insert('user', '1', alice)], b: [bad] });
        expectObservable(source.pipe(materialize({ types: ['user'], unknownTypes: 'error' }))).toBe(
          '-s-#',
          { s: state({ user: { 1: alice } }) },
          expect.objectContaining({
            index: 0,
            stateMessage: bad,
            message: expect.stringContaining('entity type "admin"'),
          }),
        );
        expectSubscriptions(source.subscriptions).toBe('^--!');
      });
    });

    it('types the collections by entity type', () => {
      const snapshots = collect('-a-|', { a: [insert('user', '1', alice)] }, materialize<{ user: { name: string } }>());
      const name: string | undefined = (snapshots[0] as StateSnapshot<{ user: { name: string } }>).collections.user?.[
        '1'
      ]?.name;
      expect(name).toBe('Alice');
    });

    it('rejects invalid options synchronously', () => {
      expect(() => materialize({ types: [''] })).toThrow(InvalidArgumentError);
      expect(() => materialize({ types: [42 as unknown as string] })).toThrow(/`types` must list non-empty strings/);
      expect(() => materialize({ unknownTypes: 'skip' as 'ignore' })).toThrow(
        /`unknownTypes` must be 'ignore' or 'error'/,
      );
    });
  });

  describe('initial state', () => {
    const seed = () => ({ user: { 1: alice, 2: bob }, message: { 1: 'hi' } });

    it('starts from `initial`: the first emission holds the seeded entities and the first batch on top', () => {
      testScheduler.run(({ cold, expectObservable }) => {
        const source = cold('-a-b-|', { a: [insert('user', '3', alice)], b: [insert('message', '2', 'yo')] });
        expectObservable(source.pipe(materialize({ initial: seed() }))).toBe('-s-t-|', {
          s: state({ user: { 1: alice, 2: bob, 3: alice }, message: { 1: 'hi' } }),
          t: state({ user: { 1: alice, 2: bob, 3: alice }, message: { 1: 'hi', 2: 'yo' } }),
        });
      });
    });

    it('emits the seeded state for an empty first batch, and nothing before it', () => {
      testScheduler.run(({ cold, expectObservable }) => {
        const source = cold('--a-|', { a: { items: [], offset: '0_7', upToDate: true } });
        expectObservable(source.pipe(materialize({ initial: seed() }))).toBe('--s-|', {
          s: state(seed(), { offset: '0_7', upToDate: true }),
        });
      });
    });

    it('applies updates and deletes to seeded entities', () => {
      testScheduler.run(({ cold, expectObservable }) => {
        const source = cold('-a-b-|', {
          a: [update('user', '1', aliceSmith)],
          b: [remove('user', '2'), remove('message', '1')],
        });
        expectObservable(source.pipe(materialize({ initial: seed() }))).toBe('-s-t-|', {
          s: state({ user: { 1: aliceSmith, 2: bob }, message: { 1: 'hi' } }),
          t: state({ user: { 1: aliceSmith }, message: {} }),
        });
      });
    });

    it('resumes where an uninterrupted read would be: seeding with saved collections and reading on gives the same state', () => {
      const batches = {
        a: [insert('user', '1', alice), insert('user', '2', bob)],
        b: [update('user', '1', aliceSmith), insert('message', '1', 'hi')],
        c: [remove('user', '2'), insert('message', '2', 'yo')],
      };
      const whole = collect('-a-b-c-|', batches);
      const [, saved] = collect('-a-b-|', { a: batches.a, b: batches.b });
      const initial = JSON.parse(JSON.stringify(saved.collections)) as StateSnapshot['collections'];
      const resumed = collect('-c-|', { c: batches.c }, materialize({ initial }));
      expect(resumed).toEqual([whole[2]]);
    });

    it('empties a reset, seeded entities included', () => {
      testScheduler.run(({ cold, expectObservable }) => {
        const source = cold('-a-|', { a: [control('reset'), insert('user', '3', alice)] });
        expectObservable(source.pipe(materialize({ initial: seed() }))).toBe('-s-|', {
          s: state({ user: { 3: alice } }),
        });
      });
    });

    it('starts every subscription from `initial` again', () => {
      testScheduler.run(({ cold, expectObservable }) => {
        const state$ = cold('-a-|', { a: [remove('user', '1')] }).pipe(materialize({ initial: seed() }));
        const expected = { s: state({ user: { 2: bob }, message: { 1: 'hi' } }) };
        expectObservable(state$).toBe('-s-|', expected);
        expectObservable(state$, '--^').toBe('---s-|', expected);
      });
    });

    describe('with `types`', () => {
      it('adds the listed types missing from `initial` as empty collections and drops the others', () => {
        testScheduler.run(({ cold, expectObservable }) => {
          const source = cold('-a-|', { a: [] });
          expectObservable(
            source.pipe(materialize<{ [type: string]: unknown }>({ types: ['user', 'presence'], initial: seed() })),
          ).toBe('-s-|', {
            s: state({ user: { 1: alice, 2: bob }, presence: {} }),
          });
        });
      });

      it("rejects a collection of an unlisted type with unknownTypes: 'error'", () => {
        expect(() => materialize({ types: ['user'], unknownTypes: 'error', initial: seed() })).toThrow(
          new InvalidArgumentError('materialize(): `initial` has entity type "message", which is not one of `types`'),
        );
        expect(() => materialize({ types: ['user'], unknownTypes: 'error', initial: { user: {} } })).not.toThrow();
      });

      it('keeps the listed types, as empty collections, after a reset', () => {
        const [snapshot] = collect(
          '-a-|',
          { a: [control('reset')] },
          materialize({ types: ['user'], initial: seed() }),
        );
        expect(snapshot.collections).toEqual({ user: {} });
      });
    });

    describe('structural sharing and immutability', () => {
      it('keeps the identity of seeded collections until they change', () => {
        const [s, t, u] = collect(
          '-a-b-c-|',
          { a: [], b: [insert('message', '2', 'yo')], c: [remove('user', 'missing')] },
          materialize({ initial: seed() }),
        );
        expect(t.collections).not.toBe(s.collections);
        expect(t.collections.user).toBe(s.collections.user);
        expect(t.collections.message).not.toBe(s.collections.message);
        expect(u.collections).toBe(t.collections);
      });

      it('copies `initial` into frozen, null-prototype collections, keeping entity values by reference', () => {
        const initial: Record<string, Record<string, unknown>> = seed();
        const op = materialize({ initial });
        initial['user']['3'] = alice; // too late: the operator has its own copy
        delete initial['message'];
        const [snapshot] = collect('-a-|', { a: [] }, op);
        expect(snapshot.collections).toEqual(seed());
        expect(snapshot.collections.user).not.toBe(initial['user']);
        expect(Object.isFrozen(snapshot.collections)).toBe(true);
        expect(Object.isFrozen(snapshot.collections.user)).toBe(true);
        expect(Object.getPrototypeOf(snapshot.collections.user)).toBeNull();
        expect(snapshot.collections.user!['1']).toBe(alice);
        expect(Object.isFrozen(initial)).toBe(false);
        expect(Object.isFrozen(alice)).toBe(false);
      });

      it('reads keys such as __proto__ from a parsed seed as plain entries', () => {
        const initial = JSON.parse(
          '{"user":{"__proto__":{"name":"Alice"}},"constructor":{"x":1}}',
        ) as StateSnapshot['collections'];
        const [snapshot] = collect('-a-|', { a: [insert('user', 'bob', bob)] }, materialize({ initial }));
        expect(Object.keys(snapshot.collections.user!)).toEqual(['__proto__', 'bob']);
        expect(snapshot.collections.user!['__proto__']).toEqual(alice);
        expect((snapshot.collections as Record<string, Collection>)['constructor']).toEqual({ x: 1 });
      });

      it('accepts collections without prototype, as materialize() emits them', () => {
        const [first] = collect('-a-|', { a: [insert('user', '1', alice)] });
        const [resumed] = collect('-a-|', { a: [] }, materialize({ initial: first.collections }));
        expect(resumed.collections).toEqual({ user: { 1: alice } });
      });
    });

    it.each<[string, unknown, RegExp]>([
      ['null', null, /`initial` must be a plain object of collections by entity type, got null/],
      ['an array', [{ 1: alice }], /`initial` must be a plain object/],
      ['a string', 'user', /`initial` must be a plain object/],
      ['a Map', new Map([['user', {}]]), /`initial` must be a plain object/],
      [
        'a class instance',
        new (class Seed {
          readonly kind = 'seed';
        })(),
        /`initial` must be a plain object/,
      ],
      [
        'a collection that is an array',
        { user: [alice] },
        /`initial.user` must be a plain object of entities by key, got \[\{"name":"Alice"\}\]/,
      ],
      ['a collection that is null', { user: null }, /`initial.user` must be a plain object/],
      ['a collection that is a string', { user: 'Alice' }, /`initial.user` must be a plain object/],
      ['a collection that is a Date', { user: new Date(0) }, /`initial.user` must be a plain object/],
      ['an empty entity type', { '': {} }, /`initial` has an empty entity type/],
      ['an empty key', { user: { '': alice } }, /`initial.user` has an empty key/],
    ])('rejects an `initial` that is %s, synchronously, with an InvalidArgumentError', (_, initial, message) => {
      let thrown: unknown;
      try {
        materialize({ initial: initial as StateSnapshot['collections'] });
      } catch (error) {
        thrown = error;
      }
      expect(thrown).toBeInstanceOf(InvalidArgumentError);
      expect((thrown as Error).message).toMatch(message);
    });
  });

  describe('structural sharing', () => {
    it('keeps the identity of collections that did not change', () => {
      const [s, t] = collect('-a-b-|', {
        a: [insert('user', '1', alice), insert('message', '1', 'hi')],
        b: [update('user', '1', aliceSmith)],
      });
      expect(t.collections).not.toBe(s.collections);
      expect(t.collections.user).not.toBe(s.collections.user);
      expect(t.collections.message).toBe(s.collections.message);
    });

    it('keeps the identity of collections when a batch changes nothing', () => {
      const [s, t] = collect(
        '-a-b-|',
        {
          a: [insert('user', '1', alice)],
          b: [remove('user', 'missing'), control('snapshot-start'), control('snapshot-end'), insert('other', 'x', 1)],
        },
        materialize({ types: ['user'] }),
      );
      expect(t.collections).toBe(s.collections);
      expect(t.collections.user).toBe(s.collections.user);
    });

    it('keeps identity when a batch restores the same entries (delete then re-insert, reset then replay)', () => {
      const [s, t, u] = collect('-a-b-c-|', {
        a: [insert('user', '1', alice), insert('message', '1', 'hi')],
        b: [remove('user', '1'), insert('user', '1', alice)],
        c: [control('reset'), insert('user', '1', alice), insert('message', '1', 'hi')],
      });
      expect(t.collections).toBe(s.collections);
      expect(u.collections).toBe(s.collections);
    });

    it('copies a changed collection once per batch, not once per message', () => {
      const seeded: Record<string, unknown> = {};
      for (let i = 0; i < 10_000; i += 1) seeded[`k${i}`] = { i };
      const updates = Array.from({ length: 1_000 }, (_, i) => update('user', `k${(i * 97) % 10_000}`, { i }));
      const batches = new Subject<StateBatch>();
      const snapshots: StateSnapshot[] = [];
      batches
        .pipe(materialize({ initial: { user: seeded, message: { m: 1 } } }))
        .subscribe((snapshot) => snapshots.push(snapshot));
      batches.next([]);
      const records = jest.spyOn(Object, 'create');
      try {
        batches.next(updates);
        // Null-prototype records made for the batch: the copy of `user` and the new map of collections.
        expect(records.mock.calls.filter(([prototype]) => prototype === null)).toHaveLength(2);
      } finally {
        records.mockRestore();
      }
      const [before, after] = snapshots;
      expect(after.collections.message).toBe(before.collections.message);
      expect(after.collections.user!['k1']).toBe(before.collections.user!['k1']);
      expect(after.collections.user!['k97']).toEqual({ i: 1 });
    });

    it('passes entity values through by reference, neither copied nor frozen', () => {
      const value = { name: 'Carol' };
      const [snapshot] = collect('-a-|', { a: [insert('user', '1', value)] });
      expect(snapshot.collections.user!['1']).toBe(value);
      expect(Object.isFrozen(value)).toBe(false);
    });
  });

  describe('immutability', () => {
    it('freezes the snapshot, its collections and every collection', () => {
      const [snapshot] = collect('-a-|', { a: [insert('user', '1', alice), insert('message', '1', 'hi')] });
      expect(Object.isFrozen(snapshot)).toBe(true);
      expect(Object.isFrozen(snapshot.collections)).toBe(true);
      expect(Object.isFrozen(snapshot.collections.user)).toBe(true);
      expect(Object.isFrozen(snapshot.collections.message)).toBe(true);
      expect(() => {
        (snapshot.collections.user as Record<string, unknown>)['2'] = bob;
      }).toThrow(TypeError);
    });

    it('never mutates a snapshot already emitted', () => {
      const [s] = collect('-a-b-c-|', {
        a: [insert('user', '1', alice)],
        b: [insert('user', '2', bob), remove('user', '1')],
        c: [control('reset')],
      });
      expect(s.collections).toEqual({ user: { 1: alice } });
    });

    it('stores keys such as __proto__ and constructor as plain entries', () => {
      const [snapshot] = collect('-a-|', {
        a: [insert('user', '__proto__', alice), insert('constructor', 'toString', bob)],
      });
      const users = snapshot.collections.user!;
      expect(Object.keys(users)).toEqual(['__proto__']);
      expect(users['__proto__']).toBe(alice);
      expect(users['constructor']).toBeUndefined();
      expect(snapshot.collections.constructor['toString']).toBe(bob);
      expect(Object.keys(snapshot.collections)).toEqual(['user', 'constructor']);
    });
  });

  describe('invalid input', () => {
    const cases: [string, unknown, string][] = [
      ['null', null, 'a message must be a JSON object'],
      ['an array', [insert('user', '1', alice)], 'a message must be a JSON object'],
      ['a string', 'insert', 'a message must be a JSON object'],
      ['no headers', { type: 'user', key: '1', value: alice }, '`headers` must be an object'],
      [
        'headers not an object',
        { type: 'user', key: '1', value: alice, headers: 'insert' },
        '`headers` must be an object',
      ],
      [
        'both operation and control',
        { headers: { operation: 'insert', control: 'reset' } },
        '`headers` has both `operation` and `control`',
      ],
      [
        'neither operation nor control',
        { type: 'user', key: '1', headers: {} },
        '`headers` needs `operation` (change message) or `control`',
      ],
      ['an unknown control', control('truncate'), '`headers.control` must be'],
      [
        'an empty control offset',
        { headers: { control: 'reset', offset: '' } },
        '`headers.offset` must be a non-empty string',
      ],
      [
        'a non-string control offset',
        { headers: { control: 'reset', offset: 5 } },
        '`headers.offset` must be a non-empty string',
      ],
      [
        'an unknown operation',
        { ...insert('user', '1', alice), headers: { operation: 'merge' } },
        '`headers.operation` must be',
      ],
      ['no type', { key: '1', value: alice, headers: { operation: 'insert' } }, '`type` must be a non-empty string'],
      ['an empty type', insert('', '1', alice), '`type` must be a non-empty string'],
      ['a numeric key', { ...insert('user', '1', alice), key: 1 }, '`key` must be a non-empty string'],
      ['an empty key', remove('user', ''), '`key` must be a non-empty string'],
      [
        'an insert without value',
        { type: 'user', key: '1', headers: { operation: 'insert' } },
        '`value` is required for insert',
      ],
      [
        'an update without value',
        { type: 'user', key: '1', headers: { operation: 'update' } },
        '`value` is required for update',
      ],
      [
        'an empty txid',
        { ...insert('user', '1', alice), headers: { operation: 'insert', txid: '' } },
        '`headers.txid` must be',
      ],
      [
        'a non-RFC 3339 timestamp',
        { ...insert('user', '1', alice), headers: { operation: 'insert', timestamp: '2025-01-15 10:30' } },
        '`headers.timestamp` must be an RFC 3339 timestamp',
      ],
      [
        'a numeric timestamp',
        { ...insert('user', '1', alice), headers: { operation: 'insert', timestamp: 1705312200000 } },
        '`headers.timestamp` must be an RFC 3339 timestamp',
      ],
    ];

    it.each(cases)('errors on a message with %s, naming it, and emits nothing for its batch', (_, bad, problem) => {
      testScheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
        const source = cold('-a-b-c-|', {
          a: [insert('user', '1', alice)],
          b: { items: [insert('user', '2', bob), bad], offset: '0_42' },
          c: [insert('user', '3', alice)],
        });
        expectObservable(source.pipe(materialize())).toBe(
          '-s-#',
          { s: state({ user: { 1: alice } }) },
          expect.objectContaining({
            code: 'STATE_PROTOCOL_ERROR',
            index: 1,
            offset: '0_42',
            stateMessage: bad,
            message: expect.stringContaining(
              `Invalid State Protocol message at index 1 of the batch ending at offset 0_42: ${problem}`,
            ),
          }),
        );
        expectSubscriptions(source.subscriptions).toBe('^--!');
      });
    });

    it('raises a StateProtocolError, a DurableStreamError quoting the offending message', () => {
      const errors: unknown[] = [];
      testScheduler.run(({ cold }) => {
        cold('-a|', { a: [{ type: 'user', headers: { operation: 'insert' } }] })
          .pipe(materialize())
          .subscribe({ error: (error: unknown) => errors.push(error) });
      });
      const [error] = errors;
      expect(error).toBeInstanceOf(StateProtocolError);
      expect(error).toBeInstanceOf(DurableStreamError);
      expect((error as Error).name).toBe('StateProtocolError');
      expect((error as Error).message).toContain('{"type":"user","headers":{"operation":"insert"}}');
    });

    it.each([
      ['null', null],
      ['a number', 3],
      ['an object without items', { offset: '0_1' }],
      ['an object with non-array items', { items: 'x' }],
    ])('errors on a batch that is %s', (_, bad) => {
      testScheduler.run(({ cold, expectObservable }) => {
        const source = cold('-a-|', { a: bad as StateBatch });
        expectObservable(source.pipe(materialize())).toBe(
          '-#',
          undefined,
          expect.objectContaining({
            index: undefined,
            stateMessage: bad,
            message: expect.stringContaining('Invalid State Protocol batch'),
          }),
        );
      });
    });

    it('passes a source error through', () => {
      testScheduler.run(({ cold, expectObservable }) => {
        const source = cold('-a-#', { a: [insert('user', '1', alice)] }, new Error('network'));
        expectObservable(source.pipe(materialize())).toBe(
          '-s-#',
          { s: state({ user: { 1: alice } }) },
          new Error('network'),
        );
      });
    });
  });

  describe('subscriptions', () => {
    it('unsubscribes from the source when the subscriber unsubscribes', () => {
      testScheduler.run(({ hot, expectObservable, expectSubscriptions }) => {
        const source = hot('-a-b-c-|', { a: [insert('user', '1', alice)], b: [insert('user', '2', bob)], c: [] });
        expectObservable(source.pipe(materialize()), '^--!').toBe('-s-', { s: state({ user: { 1: alice } }) });
        expectSubscriptions(source.subscriptions).toBe('^--!');
      });
    });

    it('runs the teardown of the source on unsubscribe', () => {
      let tornDown = 0;
      const source = new Observable<StateBatch>((subscriber) => {
        subscriber.next([insert('user', '1', alice)]);
        return () => tornDown++;
      });
      const seen: StateSnapshot[] = [];
      const subscription = source.pipe(materialize()).subscribe((s) => seen.push(s));
      expect(seen).toHaveLength(1);
      expect(tornDown).toBe(0);
      subscription.unsubscribe();
      expect(tornDown).toBe(1);
    });

    it('gives each subscription its own state', () => {
      testScheduler.run(({ hot, expectObservable }) => {
        const source = hot('-a-b-c-|', {
          a: [insert('user', '1', alice)],
          b: [insert('user', '2', bob)],
          c: [remove('user', '2')],
        });
        const state$ = source.pipe(materialize());
        expectObservable(state$).toBe('-s-t-u-|', {
          s: state({ user: { 1: alice } }),
          t: state({ user: { 1: alice, 2: bob } }),
          u: state({ user: { 1: alice } }),
        });
        expectObservable(state$, '--^').toBe('---v-w-|', { v: state({ user: { 2: bob } }), w: state({ user: {} }) });
      });
    });

    it('starts from empty state when resubscribed', () => {
      const state$ = new Observable<StateBatch>((subscriber) => {
        subscriber.next([update('counter', 'n', 1)]);
        subscriber.complete();
      }).pipe(materialize());
      const first: StateSnapshot[] = [];
      const second: StateSnapshot[] = [];
      state$.subscribe((s) => first.push(s));
      state$.subscribe((s) => second.push(s));
      expect(second).toEqual(first);
      expect(second[0].collections).not.toBe(first[0].collections);
    });
  });
});
