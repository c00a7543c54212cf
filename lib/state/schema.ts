import type { StandardSchemaV1 } from '@standard-schema/spec';
import { InvalidArgumentError } from '../errors/client-errors.js';
import { describeValue } from '../util/describe-value.js';
import { isObject } from './check-message.js';
import { changeHelpers, type CollectionEventHelpers } from './change-helpers.js';
import type { ChangeMessage, ControlMessage } from './messages.js';

/**
 * One collection of a state schema: which change messages feed it (`type`),
 * which property of its values is the key (`primaryKey`), and optionally a
 * Standard Schema (Zod, Valibot, ArkType...) its values must match. The same
 * shape as `@durable-streams/state`'s, where `schema` is required.
 */
export interface CollectionDefinition<T = unknown> {
  /** Validates the collection's values, written or read. Omit to take values as they are. */
  readonly schema?: StandardSchemaV1<T>;
  /** The `type` of the change messages of this collection. Unique within a schema. */
  readonly type: string;
  /** The property of a value that is its key, when a change names no `key`. */
  readonly primaryKey: string;
}

/** Collections by name: what {@link createStateSchema} takes. */
export type StreamStateDefinition = Record<string, CollectionDefinition>;

/**
 * The value type of a collection: its schema's output, or the `T` of a
 * `CollectionDefinition<T>` given without a schema.
 */
export type EntityOf<D> = D extends {
  /** A collection's schema, whose output is the value type. */
  readonly schema: infer S extends StandardSchemaV1;
}
  ? StandardSchemaV1.InferOutput<S>
  : D extends CollectionDefinition<infer T>
    ? T
    : unknown;

/** A collection's definition with its change helpers. */
export type CollectionWithHelpers<T = unknown> = CollectionDefinition<T> & CollectionEventHelpers<T>;

/** What {@link createStateSchema} returns: every collection's definition with its change helpers. */
export type StateSchema<T extends StreamStateDefinition = StreamStateDefinition> = {
  readonly [K in keyof T]: CollectionWithHelpers<EntityOf<T[K]>>;
};

/** The value type of every collection of a schema, by name: `{ todos: Todo }`. */
export type EntitiesOf<S extends StateSchema> = {
  readonly [K in keyof S]: S[K] extends CollectionWithHelpers<infer T> ? T : unknown;
};

/**
 * What a stream of this schema holds: a change message of one of its
 * collections, or a control message. Type a handle with it
 * (`client.stream<StateMessageOf<typeof schema>>('todos')`) and `stateStore()`,
 * `appendJson()` and `readJson()` agree on it.
 */
export type StateMessageOf<S extends StateSchema> =
  { [K in keyof S]: ChangeMessage<EntitiesOf<S>[K]> }[keyof S] | ControlMessage;

/** Names `@durable-streams/state` reserves; refused here too, so a schema means the same to both. */
const RESERVED = new Set(['collections', 'preload', 'close', 'utils', 'actions']);

/**
 * A typed state schema: for each collection, its definition and helpers
 * that build its change messages (`schema.todos.insert({ value })`), exactly
 * as `@durable-streams/state`'s `createStateSchema()` builds them, so either
 * package reads what the other writes. Pass it to `stateStore()`.
 *
 * ```ts
 * const schema = createStateSchema({
 *   todos: { schema: todoSchema, type: 'todo', primaryKey: 'id' },
 * });
 * appendJson(stream, schema.todos.insert({ value: { id: '1', title: 'Milk', done: false } }));
 * ```
 *
 * Without a schema library, name the value type with a type argument:
 * `createStateSchema<{ todos: CollectionDefinition<Todo> }>({ todos: { type: 'todo', primaryKey: 'id' } })`.
 *
 * @throws InvalidArgumentError For a malformed definition, a reserved collection name, or two collections of one type.
 */
export function createStateSchema<T extends StreamStateDefinition>(collections: T): StateSchema<T> {
  if (!isObject(collections))
    throw new InvalidArgumentError(
      `createStateSchema(): expected collections by name, got ${describeValue(collections)}`,
    );
  const names = new Map<string, string>();
  const schema: Record<string, unknown> = {};
  for (const [name, definition] of Object.entries(collections)) {
    checkDefinition(name, definition);
    const taken = names.get(definition.type);
    if (taken !== undefined)
      throw new InvalidArgumentError(
        `createStateSchema(): collections "${taken}" and "${name}" both have type "${definition.type}"; each type feeds one collection`,
      );
    names.set(definition.type, name);
    schema[name] = { ...definition, ...changeHelpers(name, definition) };
  }
  return schema as StateSchema<T>;
}

function checkDefinition(name: string, definition: unknown): asserts definition is CollectionDefinition {
  const where = `createStateSchema(): collection "${name}"`;
  if (RESERVED.has(name))
    throw new InvalidArgumentError(`${where}: the name is reserved (${[...RESERVED].join(', ')}); choose another`);
  if (!isObject(definition))
    throw new InvalidArgumentError(`${where}: expected { schema, type, primaryKey }, got ${describeValue(definition)}`);
  const { schema, type, primaryKey } = definition as Partial<Record<string, unknown>>;
  if (typeof type !== 'string' || type === '')
    throw new InvalidArgumentError(`${where}: \`type\` must be a non-empty string, got ${describeValue(type)}`);
  if (typeof primaryKey !== 'string' || primaryKey === '')
    throw new InvalidArgumentError(
      `${where}: \`primaryKey\` must be a non-empty string, got ${describeValue(primaryKey)}`,
    );
  if (schema !== undefined && !isStandardSchema(schema))
    throw new InvalidArgumentError(`${where}: \`schema\` must be a Standard Schema (Zod, Valibot, ArkType...)`);
}

function isStandardSchema(value: unknown): value is StandardSchemaV1 {
  const props = (value as Partial<StandardSchemaV1> | null)?.['~standard'];
  return typeof props?.validate === 'function';
}
