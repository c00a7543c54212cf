/**
 * One batch's copy-on-write edits: a collection is copied once per batch
 * however many messages change it (never once per message), a commit
 * compares only the keys written (never the whole collection), and what
 * nothing changed keeps its identity.
 */
import { nullRecord, type CollectionMap } from '../../lib/state/collections';
import { Draft } from '../../lib/state/draft';
import type { Collection } from '../../lib/state/snapshot';
import { collectionMap, countedCollection, entities } from './support/counted-collection';

const empty: CollectionMap = collectionMap({ todos: Object.freeze(nullRecord()), tags: Object.freeze(nullRecord()) });

describe('Draft', () => {
  it('copies a collection once for a batch of 1 000 writes, and lists no keys to commit it', () => {
    const todos = countedCollection(entities(10_000));
    const tags = countedCollection({ x: 1 });
    const previous = collectionMap({ todos: todos.collection, tags: tags.collection });
    const draft = new Draft(previous, empty);
    for (let i = 0; i < 1_000; i += 1) draft.set('todos', `k${(i * 97) % 10_000}`, { changed: i });
    draft.delete('todos', 'k1');
    const next = draft.commit();

    expect(todos.listings()).toBe(1);
    expect(tags.listings()).toBe(0);
    expect(next['tags']).toBe(previous['tags']);
    expect(Object.isFrozen(next)).toBe(true);
    expect(Object.isFrozen(next['todos'])).toBe(true);
    expect(Object.getPrototypeOf(next['todos'])).toBeNull();
    expect(Object.keys(next['todos'])).toHaveLength(9_999);
    // Entities nothing wrote to are the previous ones, by reference.
    expect(next['todos']['k2']).toBe(previous['todos']['k2']);
    expect(next['todos']['k97']).toEqual({ changed: 1 });
    expect(Object.hasOwn(next['todos'], 'k1')).toBe(false);
    // The previous state is untouched.
    expect(Object.keys(previous['todos'])).toHaveLength(10_000);
    expect(previous['todos']['k97']).toEqual({ id: 'k97', tag: 0 });
  });

  it('copies nothing for writes of the values held and deletes of absent keys, and keeps the previous map', () => {
    const todos = countedCollection(entities(100));
    const previous = collectionMap({ todos: todos.collection, tags: empty['tags'] });
    const draft = new Draft(previous, empty);
    draft.set('todos', 'k5', previous['todos']['k5']);
    draft.delete('todos', 'absent');
    draft.delete('missing-type', 'k');

    expect(draft.commit()).toBe(previous);
    expect(todos.listings()).toBe(0);
  });

  it('keeps the collection when the batch ends with the entries it had, comparing only the keys written', () => {
    const todos = countedCollection(entities(1_000));
    const previous = collectionMap({ todos: todos.collection, tags: empty['tags'] });
    const draft = new Draft(previous, empty);
    const k3 = previous['todos']['k3'];
    draft.set('todos', 'k3', 'changed');
    draft.delete('todos', 'k4');
    draft.set('todos', 'new', 1);
    draft.set('todos', 'k3', k3);
    draft.set('todos', 'k4', previous['todos']['k4']);
    draft.delete('todos', 'new');

    expect(draft.commit()).toBe(previous);
    expect(todos.listings()).toBe(1);
  });

  it('after a reset, starts from the empty collections and keeps those whose entries are replayed', () => {
    const previous = collectionMap({
      todos: Object.freeze(Object.assign(nullRecord(), { a: 1 })),
      tags: empty['tags'],
    });
    const replayed = new Draft(previous, empty);
    replayed.set('todos', 'other', 2);
    replayed.reset();
    replayed.set('todos', 'a', 1);
    expect(replayed.commit()).toBe(previous);

    const cleared = new Draft(previous, empty);
    cleared.reset();
    const next = cleared.commit();
    expect({ ...next['todos'] }).toEqual({});
    expect(next['tags']).toBe(previous['tags']);
  });

  it('adds a collection for a type it did not have', () => {
    const previous = collectionMap({ todos: empty['todos'] });
    const draft = new Draft(previous, empty);
    draft.set('notes', 'n1', 'hello');
    const next = draft.commit();
    expect(Object.keys(next)).toEqual(['todos', 'notes']);
    expect({ ...next['notes'] }).toEqual({ n1: 'hello' });
    expect(next['todos']).toBe(previous['todos']);
  });

  it('stores keys such as __proto__ as plain entries', () => {
    const draft = new Draft(collectionMap({}), empty);
    draft.set('todos', '__proto__', 'plain');
    const todos: Collection = draft.commit()['todos'];
    expect(Object.hasOwn(todos, '__proto__')).toBe(true);
    expect(Object.getPrototypeOf(todos)).toBeNull();
  });
});
