import { InvalidArgumentError } from '../errors/client-errors.js';
import { describeValue } from '../util/describe-value.js';
import { isObject } from './check-message.js';
import type { Collection } from './snapshot.js';

/** Every collection by entity type, as the operator keeps them (frozen, null-prototype). */
export type CollectionMap = Readonly<Record<string, Collection>>;

/**
 * Validates `initial` and copies it into frozen, null-prototype collections
 * on top of `empty` (the listed types), so later changes to the caller's
 * objects do not reach the state. Entity values are kept by reference.
 */
export function seed(
  initial: unknown,
  empty: CollectionMap,
  allowed: ReadonlySet<string> | undefined,
  unknownTypes: string,
  caller = 'materialize()',
): CollectionMap {
  if (!isPlainObject(initial)) {
    throw new InvalidArgumentError(
      `${caller}: \`initial\` must be a plain object of collections by entity type, got ${describeValue(initial)}`,
    );
  }
  const collections: Record<string, Collection> = Object.assign(nullRecord(), empty);
  for (const [type, collection] of Object.entries(initial)) {
    if (type === '') throw new InvalidArgumentError(`${caller}: \`initial\` has an empty entity type`);
    if (!isPlainObject(collection)) {
      throw new InvalidArgumentError(
        `${caller}: \`initial.${type}\` must be a plain object of entities by key, got ${describeValue(collection)}`,
      );
    }
    if (allowed && !allowed.has(type)) {
      if (unknownTypes === 'ignore') continue;
      throw new InvalidArgumentError(`${caller}: \`initial\` has entity type "${type}", which is not one of \`types\``);
    }
    if (Object.hasOwn(collection, ''))
      throw new InvalidArgumentError(`${caller}: \`initial.${type}\` has an empty key`);
    collections[type] = Object.freeze(Object.assign(nullRecord(), collection));
  }
  return Object.freeze(collections);
}

/** An object made by `{}`, `JSON.parse` or `Object.create(null)`: not an array, class instance, Map or the like. */
function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (!isObject(value)) return false;
  const prototype: unknown = Object.getPrototypeOf(value);
  return prototype === Object.prototype || prototype === null;
}

/**
 * `next`, with every collection whose entries are those of `previous`'s
 * replaced by `previous`'s (and `previous` itself when all are): a view
 * rebuilt from scratch keeps the identities a UI compares.
 */
export function keepIdentities(previous: CollectionMap, next: CollectionMap): CollectionMap {
  if (previous === next) return next;
  let kept: Record<string, Collection> | undefined;
  let changed = Object.keys(previous).length !== Object.keys(next).length;
  for (const type of Object.keys(next)) {
    const before = previous[type];
    if (before !== undefined && before !== next[type] && sameEntries(before, next[type]))
      (kept ??= Object.assign(nullRecord(), next))[type] = before;
    else if (before !== next[type]) changed = true;
  }
  if (!changed) return previous;
  return kept ? Object.freeze(kept) : next;
}

/** `a` and `b` hold the same entries (keys and value references). */
export function sameEntries(a: Collection, b: Collection): boolean {
  if (a === b) return true;
  const keys = Object.keys(a);
  return keys.length === Object.keys(b).length && keys.every((key) => Object.hasOwn(b, key) && a[key] === b[key]);
}

/** An empty record without prototype, so that any string (`constructor`, `__proto__`) is a plain key. */
export function nullRecord<V>(): Record<string, V> {
  return Object.create(null) as Record<string, V>;
}
