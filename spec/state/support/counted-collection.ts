import { nullRecord, type CollectionMap } from '../../../lib/state/collections';
import type { Collection } from '../../../lib/state/snapshot';

/** A frozen collection that counts how often its keys are listed: a copy or a whole comparison lists them once. */
export interface CountedCollection {
  readonly collection: Collection;
  readonly listings: () => number;
}

/** `entries` as a frozen, null-prototype collection that counts the listings of its keys. */
export function countedCollection(entries: Readonly<Record<string, unknown>>): CountedCollection {
  let listings = 0;
  const target = Object.freeze(Object.assign(nullRecord(), entries));
  const collection = new Proxy(target, {
    ownKeys(frozen) {
      listings += 1;
      return Reflect.ownKeys(frozen);
    },
  });
  return { collection, listings: () => listings };
}

/** `size` entities `k0`..`k<size-1>`, each a fresh object. */
export function entities(size: number, tag = 0): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (let i = 0; i < size; i += 1) out[`k${i}`] = { id: `k${i}`, tag };
  return out;
}

/** A frozen, null-prototype map of collections. */
export function collectionMap(collections: Readonly<Record<string, Collection>>): CollectionMap {
  return Object.freeze(Object.assign(nullRecord<Collection>(), collections));
}
