import { nullRecord, sameEntries, type CollectionMap } from './collections.js';
import type { Collection } from './snapshot.js';

/** One collection being edited: its copy, and the keys written to it. */
interface Edit {
  readonly entries: Record<string, unknown>;
  readonly touched: Set<string>;
}

/**
 * Copy-on-write edits of one batch on top of `base`. A collection is copied
 * once, on its first real change (writing the value a key already holds, or
 * deleting a key it lacks, copies nothing). {@link Draft.commit} freezes
 * the copies and reuses every collection whose entries (keys and value
 * references) end up those of `base`'s, comparing only the keys written:
 * the rest were copied from it. After a reset, which drops `base`, the
 * collections are compared whole.
 */
export class Draft {
  private base: CollectionMap;
  private wasReset = false;
  private readonly edits = new Map<string, Edit>();

  constructor(
    private readonly previous: CollectionMap,
    private readonly empty: CollectionMap,
  ) {
    this.base = previous;
  }

  set(type: string, key: string, value: unknown): void {
    const current = this.current(type);
    if (current && Object.hasOwn(current, key) && current[key] === value) return;
    const edit = this.edit(type);
    edit.entries[key] = value;
    edit.touched.add(key);
  }

  delete(type: string, key: string): void {
    const current = this.current(type);
    if (!current || !Object.hasOwn(current, key)) return;
    const edit = this.edit(type);
    // Collections are plain objects by design (serializable, accepted by NgRx), not Maps.
    Reflect.deleteProperty(edit.entries, key);
    edit.touched.add(key);
  }

  reset(): void {
    this.base = this.empty;
    this.wasReset = true;
    this.edits.clear();
  }

  commit(): CollectionMap {
    if (!this.wasReset && this.edits.size === 0) return this.previous;
    const next: Record<string, Collection> = Object.assign(nullRecord(), this.base);
    for (const [type, edit] of this.edits) next[type] = edit.entries;
    let changed = Object.keys(next).length !== Object.keys(this.previous).length;
    for (const type of Object.keys(next)) {
      const before = this.previous[type] as Collection | undefined;
      const after = next[type];
      if (after === before) continue;
      const touched = this.edits.get(type)?.touched;
      const same =
        before !== undefined &&
        (this.wasReset || !touched ? sameEntries(before, after) : sameOn(touched, before, after));
      if (same) next[type] = before;
      else {
        Object.freeze(after);
        changed = true;
      }
    }
    return changed ? Object.freeze(next) : this.previous;
  }

  private current(type: string): Collection | undefined {
    return this.edits.get(type)?.entries ?? this.base[type];
  }

  private edit(type: string): Edit {
    let edit = this.edits.get(type);
    if (!edit) {
      edit = { entries: copyOf(this.base[type]), touched: new Set() };
      this.edits.set(type, edit);
    }
    return edit;
  }
}

/** `a` and `b` hold the same entries at `keys` (presence and value reference). */
export function sameOn(keys: Iterable<string>, a: Collection, b: Collection): boolean {
  for (const key of keys) if (Object.hasOwn(a, key) !== Object.hasOwn(b, key) || a[key] !== b[key]) return false;
  return true;
}

/**
 * A mutable copy of a collection. The loop copies a large collection (a
 * dictionary-mode object) about twice as fast as `Object.assign`: measured,
 * 100 000 entries, 107 ms of CPU against 211 ms on the bench machine.
 */
function copyOf(collection: Collection | undefined): Record<string, unknown> {
  const copy = nullRecord();
  // Collections have no prototype: a for-in loop sees their own keys only.
  for (const key in collection) copy[key] = collection[key];
  return copy;
}
