import { keepIdentities, nullRecord, sameEntries, type CollectionMap } from './collections.js';
import type { StateOp } from './decode-changes.js';
import { Draft, sameOn } from './draft.js';
import type { Pending, StoreState } from './overlay.js';
import type { Collection } from './snapshot.js';

/** What a store shows after `confirmed` or `pending` changed. */
type Stacked = Pick<StoreState, 'confirmed' | 'view'>;

/**
 * The view once the confirmed state became `confirmed` (by the steps
 * `changed`) or the pending mutations became `pending`: `confirmed` with
 * `pending` on top. Only the keys that `changed` or a pending mutation
 * (before or after) touches can differ from the previous view, so only
 * those are set anew, on a copy of the previous view's collection, and only
 * where a pending mutation writes; every other collection is the
 * confirmed one. Nothing pending before or after: `confirmed` itself, at no
 * cost. A collection of the previous view with the same entries keeps its
 * identity, in `confirmed` too (so that the view stays `confirmed` once
 * nothing is pending).
 */
export function restack(
  before: StoreState,
  confirmed: CollectionMap,
  pending: readonly Pending[],
  changed: readonly StateOp[],
  empty: CollectionMap,
): Stacked {
  if (pending.length === 0 && before.pending.length === 0) return { confirmed, view: confirmed };
  if (changed.some((op) => op.kind === 'reset')) return rebuild(before.view, confirmed, pending, empty);
  const keys = keysOf([changed, ...before.pending.map(({ ops }) => ops), ...pending.map(({ ops }) => ops)]);
  const latest = latestOps(pending);
  const aligned = nullRecord<Collection>();
  for (const type of Object.keys(confirmed)) {
    const [shown, read, touched] = [before.view[type], confirmed[type], keys.get(type)];
    const same = !latest.has(type) && shown !== undefined && touched !== undefined && sameOn(touched, shown, read);
    aligned[type] = same ? shown : read;
  }
  const stream = reuse(confirmed, aligned);
  if (pending.length === 0) return { confirmed: stream, view: stream };

  const draft = new Draft(before.view, empty);
  for (const [type, ops] of latest) {
    const read = stream[type] as Collection | undefined;
    for (const key of keys.get(type) ?? []) {
      const op = ops.get(key);
      if (op) apply(draft, op);
      else if (read && Object.hasOwn(read, key)) draft.set(type, key, read[key]);
      else draft.delete(type, key);
    }
  }
  const drafted = draft.commit();
  const view = nullRecord<Collection>();
  for (const type of Object.keys(stream)) view[type] = stream[type];
  for (const type of latest.keys()) {
    const shown = drafted[type] as Collection | undefined;
    // Absent from the draft yet read in this batch: a pending mutation deletes its every entry.
    if (shown || stream[type]) view[type] = shown ?? Object.freeze(nullRecord());
  }
  return { confirmed: stream, view: reuse(before.view, view) };
}

/** Applies a set or delete step to `draft`. */
export function apply(draft: Draft, op: StateOp): void {
  if (op.kind === 'set') draft.set(op.collection, op.key, op.value);
  else if (op.kind === 'delete') draft.delete(op.collection, op.key);
}

/**
 * After a reset, which may change any key: `confirmed` with every pending
 * mutation applied, compared whole with the previous view to keep identities.
 */
function rebuild(
  previous: CollectionMap,
  confirmed: CollectionMap,
  pending: readonly Pending[],
  empty: CollectionMap,
): Stacked {
  const draft = new Draft(confirmed, empty);
  for (const { ops } of pending) for (const op of ops) apply(draft, op);
  const view = keepIdentities(previous, draft.commit());
  if (pending.length === 0) return { confirmed: view, view };
  const written = latestOps(pending);
  const stream = nullRecord<Collection>();
  for (const type of Object.keys(confirmed)) stream[type] = written.has(type) ? confirmed[type] : view[type];
  return { confirmed: reuse(confirmed, stream), view };
}

/** The keys the steps touch, by collection. */
function keysOf(lists: readonly (readonly StateOp[])[]): Map<string, Set<string>> {
  const keys = new Map<string, Set<string>>();
  for (const ops of lists)
    for (const op of ops) {
      if (op.kind !== 'set' && op.kind !== 'delete') continue;
      let set = keys.get(op.collection);
      if (!set) keys.set(op.collection, (set = new Set()));
      set.add(op.key);
    }
  return keys;
}

/** The last step of the pending mutations on each key, by collection: what the view shows there. */
function latestOps(pending: readonly Pending[]): Map<string, Map<string, StateOp>> {
  const latest = new Map<string, Map<string, StateOp>>();
  for (const { ops } of pending)
    for (const op of ops) {
      if (op.kind !== 'set' && op.kind !== 'delete') continue;
      let byKey = latest.get(op.collection);
      if (!byKey) latest.set(op.collection, (byKey = new Map<string, StateOp>()));
      byKey.set(op.key, op);
    }
  return latest;
}

/** `previous` itself when `next` holds the same collections, else `next`, frozen. */
function reuse(previous: CollectionMap, next: Record<string, Collection>): CollectionMap {
  return sameEntries(previous, next) ? previous : Object.freeze(next);
}
