import { makeStateKey, type StateKey, type TransferState } from '@angular/core';
import type { Checkpoint } from '../index.js';

/** What the server hands to the browser for one resource: where its read stopped and what it had built. */
export interface TransferredRead<V> {
  readonly value: V;
  readonly checkpoint: Checkpoint;
  readonly upToDate: boolean;
  readonly closed: boolean;
}

export type TransferKey = StateKey<TransferredRead<unknown> | null>;

/**
 * The TransferState key of a resource: its stream's URL, where the read
 * starts, and what builds its value. Two resources with the same key in one
 * render cannot be told apart: give one a `transferKey`.
 */
export function transferKey(url: string, start: string, valueKind: string, explicit: string | undefined): TransferKey {
  return makeStateKey(`dsrx:${explicit ?? `${valueKind}:${start}:${url}`}`);
}

/** A transferred entry as the browser finds it: checked, since the HTML it came in is input like any other. */
export function asTransferredRead<V>(entry: unknown): TransferredRead<V> | undefined {
  if (typeof entry !== 'object' || entry === null) return undefined;
  const { checkpoint, upToDate, closed } = entry as Partial<TransferredRead<V>>;
  if (typeof checkpoint?.offset !== 'string' || typeof upToDate !== 'boolean' || typeof closed !== 'boolean')
    return undefined;
  return entry as TransferredRead<V>;
}

/** Who set each key in this render, per app (its TransferState); `null`: more than one resource. */
const owners = new WeakMap<TransferState, Map<string, object | null>>();

/**
 * Claims `key` for `owner` (a resource) in this server render. When a
 * second resource claims it, the key becomes ambiguous: it is set to
 * `null` for good, so no browser resource takes a value another resource
 * built, and both read from their start. Check before every write.
 */
export function ownsTransferKey(state: TransferState, key: TransferKey, owner: object): boolean {
  let keys = owners.get(state);
  if (!keys) owners.set(state, (keys = new Map<string, object | null>()));
  const current = keys.get(key);
  if (current === undefined) keys.set(key, owner);
  else if (current !== owner) {
    if (current !== null) state.set(key, null);
    keys.set(key, null);
    return false;
  }
  return true;
}
