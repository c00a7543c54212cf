import { InvalidArgumentError } from '../errors/client-errors.js';
import { isPromiseLike } from '../util/is-promise-like.js';
import type { ChangeHeadersInit, CollectionEventHelpers } from './change-helpers.js';
import { nullRecord, type CollectionMap } from './collections.js';
import type { ChangeMessage } from './messages.js';

/** Options of a change in a transaction: an explicit key, and headers to add (`txid` and `operation` are the store's). */
export interface ChangeOptions {
  /** The entity's key; default: the value's `primaryKey` property. */
  readonly key?: string;
  /** Headers to add to the message. */
  readonly headers?: ChangeHeadersInit;
}

/** The changes a transaction can make to one collection, and what it holds now. */
export interface CollectionTransaction<T> {
  /** Inserts `value`. */
  insert(value: T, options?: ChangeOptions): void;
  /** Replaces the entity with `value`; `oldValue` is written as `old_value`, for readers that detect conflicts. */
  update(value: T, options?: ChangeOptions & { readonly oldValue?: T }): void;
  /** Inserts or replaces `value`. */
  upsert(value: T, options?: ChangeOptions): void;
  /** Deletes the entity `key`. */
  delete(key: string, options?: { readonly oldValue?: T; readonly headers?: ChangeHeadersInit }): void;
  /** The entity `key` as the view shows it, with this transaction's changes so far. */
  get(key: string): T | undefined;
}

/** What `mutate()`'s recipe gets: a {@link CollectionTransaction} per collection, by name. */
export type Transaction<Entities extends object> = {
  readonly [K in keyof Entities]: CollectionTransaction<Entities[K]>;
};

const DELETED = Symbol('deleted');

/**
 * Runs `recipe` on a transaction over `view` and returns the change
 * messages it made, in order, each carrying `txid`. The schema's helpers
 * build (and validate) them, so they are what `@durable-streams/state`
 * would write. The transaction is usable only while `recipe` runs.
 */
export function recordTransaction(
  helpers: Readonly<Record<string, CollectionEventHelpers<unknown>>>,
  view: CollectionMap,
  txid: string,
  recipe: (tx: Transaction<Record<string, unknown>>) => unknown,
): ChangeMessage[] {
  const messages: ChangeMessage[] = [];
  const written = new Map<string, unknown>();
  let open = true;
  const record = (message: ChangeMessage, collection: string) => {
    if (!open)
      throw new InvalidArgumentError(
        'mutate(): a transaction is used after its recipe returned; make every change inside the recipe, synchronously',
      );
    messages.push(message);
    written.set(`${collection}\u0000${message.key}`, message.headers.operation === 'delete' ? DELETED : message.value);
  };
  const tx = nullRecord<CollectionTransaction<unknown>>();
  for (const [name, helper] of Object.entries(helpers)) {
    const headers = (extra: ChangeHeadersInit | undefined) => ({ ...extra, txid });
    tx[name] = Object.freeze({
      insert: (value, options) =>
        record(helper.insert({ ...options, value, headers: headers(options?.headers) }), name),
      update: (value, options) =>
        record(helper.update({ ...options, value, headers: headers(options?.headers) }), name),
      upsert: (value, options) =>
        record(helper.upsert({ ...options, value, headers: headers(options?.headers) }), name),
      delete: (key, options) => record(helper.delete({ ...options, key, headers: headers(options?.headers) }), name),
      get: (key) => {
        const id = `${name}\u0000${key}`;
        if (!written.has(id)) return view[name][key];
        const mine = written.get(id);
        return mine === DELETED ? undefined : mine;
      },
    } satisfies CollectionTransaction<unknown>);
  }
  try {
    const returned = recipe(Object.freeze(tx));
    if (isPromiseLike(returned))
      throw new InvalidArgumentError(
        'mutate(): the recipe returned a promise; make every change synchronously (await before calling mutate())',
      );
  } finally {
    open = false;
  }
  return messages;
}
