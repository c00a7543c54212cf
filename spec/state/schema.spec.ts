/**
 * createStateSchema(): the helpers build exactly the messages of
 * `@durable-streams/state` 0.3.1 (deep-equal and the same JSON), its checks
 * refuse what the reference refuses, with typed errors.
 */
import { createStateSchema as referenceSchema } from '@durable-streams/state';
import { DurableStreamsClient, InvalidArgumentError } from '../../lib/index';
import {
  createStateSchema,
  StateValidationError,
  stateStore,
  type CollectionDefinition,
  type StateMessageOf,
} from '../../lib/state/index';
import { anything, tagSchema, todoSchema, type Todo } from './support/todo-schema';

const definition = {
  todos: { schema: todoSchema, type: 'todo', primaryKey: 'id' },
  tags: { schema: tagSchema, type: 'tag', primaryKey: 'name' },
  counters: { schema: anything<{ n: number; count: number }>(), type: 'counter', primaryKey: 'n' },
};
const ours = createStateSchema(definition);
const theirs = referenceSchema(definition);

const milk: Todo = { id: 't1', title: 'Milk', done: false };
const milkDone: Todo = { ...milk, done: true };
const headers = { txid: 'tx-1', timestamp: '2026-01-15T10:30:00Z' };

/** Every helper call, each with the arguments both packages get. */
const calls: ReadonlyArray<[string, (schema: typeof ours) => unknown]> = [
  ['insert', (s) => s.todos.insert({ value: milk })],
  ['insert with key and headers', (s) => s.todos.insert({ key: 'other', value: milk, headers })],
  ['update', (s) => s.todos.update({ value: milkDone })],
  ['update with oldValue and headers', (s) => s.todos.update({ value: milkDone, oldValue: milk, headers })],
  ['update with key', (s) => s.todos.update({ key: 'k', value: milkDone })],
  ['delete by key', (s) => s.todos.delete({ key: 't1' })],
  ['delete by oldValue', (s) => s.todos.delete({ oldValue: milk, headers })],
  ['delete with key and oldValue', (s) => s.todos.delete({ key: 'k', oldValue: milk })],
  ['upsert', (s) => s.todos.upsert({ value: milk })],
  ['upsert with headers', (s) => s.todos.upsert({ value: milk, headers: { txid: 'x' } })],
  ['another collection and primary key', (s) => s.tags.insert({ value: { name: 'home', color: 'green' } })],
  ['a numeric primary key', (s) => s.counters.insert({ value: { n: 42, count: 1 } })],
];

describe('createStateSchema()', () => {
  it.each(calls)("%s: the reference's message, deep-equal and as JSON", (_name, call) => {
    const message = call(ours);
    const reference = call(theirs);
    expect(message).toStrictEqual(reference);
    expect(JSON.stringify(message)).toBe(JSON.stringify(reference));
  });

  it('keeps each definition, as the reference does', () => {
    expect(ours.todos).toMatchObject(definition.todos);
    expect(Object.keys(ours)).toEqual(Object.keys(theirs));
  });

  it('refuses a value its schema refuses, with a StateValidationError naming collection, type and key', () => {
    const bad = { id: 't1', title: 7, done: 'no' } as unknown as Todo;
    expect(() => theirs.todos.insert({ value: bad })).toThrow();
    const error = catchError(() => ours.todos.insert({ value: bad }));
    expect(error).toBeInstanceOf(StateValidationError);
    expect(error).toMatchObject({ code: 'STATE_VALIDATION_ERROR', collection: 'todos', entityType: 'todo', key: 't1' });
    expect((error as StateValidationError).offset).toBeUndefined();
    expect((error as Error).message).toContain('title: Expected string; done: Expected boolean');
    expect(() => ours.todos.update({ value: milk, oldValue: bad })).toThrow(StateValidationError);
    expect(() => ours.todos.delete({ oldValue: bad })).toThrow(StateValidationError);
  });

  it('needs a key or a primary key, with an InvalidArgumentError', () => {
    const keyless = { title: 'x', done: false } as unknown as Todo;
    for (const call of [() => ours.todos.insert({ value: keyless }), () => ours.todos.delete({})]) {
      expect(call).toThrow(InvalidArgumentError);
      expect(call).toThrow(/needs a non-empty `key`, or a value with a non-empty "id" property/);
    }
    expect(() => theirs.todos.insert({ value: keyless })).toThrow();
  });

  it("refuses the reference's reserved names and two collections of one type", () => {
    expect(() => createStateSchema({ actions: definition.todos })).toThrow(/"actions": the name is reserved/);
    expect(() => referenceSchema({ actions: definition.todos })).toThrow();
    const twice = { a: definition.todos, b: definition.todos };
    expect(() => createStateSchema(twice)).toThrow(/collections "a" and "b" both have type "todo"/);
    expect(() => referenceSchema(twice)).toThrow();
  });

  it('checks each definition', () => {
    const cases: unknown[] = [
      { todos: null },
      { todos: { type: '', primaryKey: 'id' } },
      { todos: { type: 'todo' } },
      { todos: { type: 'todo', primaryKey: 'id', schema: { validate: () => ({}) } } },
    ];
    for (const collections of cases)
      expect(() => createStateSchema(collections as Record<string, CollectionDefinition>)).toThrow(
        InvalidArgumentError,
      );
  });

  it('takes a collection without a schema, typed by a type argument', () => {
    const plain = createStateSchema<{ todos: CollectionDefinition<Todo> }>({
      todos: { type: 'todo', primaryKey: 'id' },
    });
    const anything = { id: 'x', title: 3 } as unknown as Todo;
    expect(plain.todos.insert({ value: anything })).toEqual({
      type: 'todo',
      key: 'x',
      value: anything,
      headers: { operation: 'insert' },
    });
    // @ts-expect-error: a value that is no Todo does not compile.
    plain.todos.insert({ value: { id: 'y' } });
  });

  it("types a store from its schema's collections, on a typed or an untyped handle", () => {
    const client = new DurableStreamsClient({ baseUrl: 'http://streams.test/v1/stream' });
    const typed = client.stream<StateMessageOf<typeof ours>>('todos');
    const store = stateStore(typed, ours);
    stateStore(client.stream('untyped'), ours);
    store.mutate((tx) => {
      // @ts-expect-error: a todo is no tag.
      tx.tags.insert(milk);
      tx.todos.insert(milk);
    });
    const titles = (view: { collections: { todos: Readonly<Record<string, Todo>> } }) =>
      Object.values(view.collections.todos).map((todo) => todo.title);
    store.state$.subscribe((view) => titles(view));
    expect(store).toBeDefined();
    store.close();
  });

  it('refuses a schema that validates asynchronously, naming the collection', () => {
    const asyncSchema = {
      '~standard': { version: 1 as const, vendor: 'x', validate: () => Promise.resolve({ value: 1 }) },
    };
    const schema = createStateSchema({ things: { schema: asyncSchema, type: 'thing', primaryKey: 'id' } });
    expect(() => schema.things.insert({ value: { id: 'a' } })).toThrow(/collection "things" validates asynchronously/);
  });
});

function catchError(run: () => unknown): unknown {
  try {
    run();
  } catch (error) {
    return error;
  }
  throw new Error('did not throw');
}
