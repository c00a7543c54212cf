import { InvalidArgumentError } from '../errors/client-errors.js';
import type { ChangeMessage } from './messages.js';
import type { CollectionDefinition } from './schema.js';
import { StateValidationError } from './state-validation-error.js';
import { validateEntity } from './validate-entity.js';

/** Headers a helper adds to its message; `operation` is the helper's own. */
export type ChangeHeadersInit = Omit<Record<string, string>, 'operation'>;

/**
 * The change-message builders of one collection, as `@durable-streams/state`
 * has them: each validates its values with the collection's schema (a
 * mismatch throws a `StateValidationError`) and takes the key from `key`,
 * else from the value's `primaryKey` property (an `InvalidArgumentError`
 * when there is neither).
 */
export interface CollectionEventHelpers<T> {
  /** An `insert` of `value`. */
  readonly insert: (params: { key?: string; value: T; headers?: ChangeHeadersInit }) => ChangeMessage<T>;
  /** An `update` to `value`; `oldValue` travels as `old_value`, for readers that detect conflicts. */
  readonly update: (params: { key?: string; value: T; oldValue?: T; headers?: ChangeHeadersInit }) => ChangeMessage<T>;
  /** A `delete` of `key`, or of `oldValue`'s key. */
  readonly delete: (params: { key?: string; oldValue?: T; headers?: ChangeHeadersInit }) => ChangeMessage<T>;
  /** An `upsert` of `value`: insert or update. */
  readonly upsert: (params: { key?: string; value: T; headers?: ChangeHeadersInit }) => ChangeMessage<T>;
}

/** The helpers of collection `name`. Messages carry their fields in the reference package's order, so their JSON is the same too. */
export function changeHelpers<T>(name: string, definition: CollectionDefinition<T>): CollectionEventHelpers<T> {
  const { type, primaryKey } = definition;
  const check = (operation: string, value: unknown, key: string | undefined) => {
    const result = validateEntity(definition.schema, value, name);
    if (result.issues)
      throw new StateValidationError({
        url: '',
        collection: name,
        entityType: type,
        key,
        offset: undefined,
        issues: result.issues,
        value,
        during: operation,
      });
  };
  const keyOf = (operation: string, key: string | undefined, value: unknown): string => {
    const derived = isRecord(value) ? value[primaryKey] : undefined;
    const found =
      key ??
      (derived !== undefined && derived !== null && derived !== '' ? `${derived as string | number}` : undefined);
    if (found === undefined || found === '')
      throw new InvalidArgumentError(
        `The ${operation} of a ${type} needs a non-empty \`key\`, or a value with a non-empty "${primaryKey}" property`,
      );
    return found;
  };
  const write = (
    operation: 'insert' | 'upsert',
    { key, value, headers }: { key?: string; value: T; headers?: ChangeHeadersInit },
  ) => {
    const found = keyOf(operation, key, value);
    check(operation, value, found);
    return { type, key: found, value, headers: { ...headers, operation } };
  };
  return {
    insert: (params) => write('insert', params),
    upsert: (params) => write('upsert', params),
    update: ({ key, value, oldValue, headers }) => {
      const found = keyOf('update', key, value);
      check('update', value, found);
      if (oldValue !== undefined) check('update (oldValue)', oldValue, found);
      return { type, key: found, value, old_value: oldValue, headers: { ...headers, operation: 'update' } };
    },
    delete: ({ key, oldValue, headers }) => {
      const found = keyOf('delete', key, oldValue);
      if (oldValue !== undefined) check('delete (oldValue)', oldValue, found);
      return { type, key: found, old_value: oldValue, headers: { ...headers, operation: 'delete' } };
    },
  };
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null;
}
