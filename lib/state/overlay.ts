import type { ReadPosition } from '../read/chunk.js';
import type { ConnectionState } from '../read/connection-state.js';
import type { CollectionMap } from './collections.js';
import type { DecodedChanges, StateOp } from './decode-changes.js';
import { Draft } from './draft.js';
import { apply, restack } from './restack.js';
import type { ChangeMessage } from './messages.js';
import type { PendingMutation } from './state-view.js';

/** A mutation applied locally and not yet read back. */
export interface Pending {
  /** What the view tells of it (frozen). */
  readonly mutation: PendingMutation;
  /** Its steps, as the overlay applies them. */
  readonly ops: readonly StateOp[];
  /** Its change messages not yet read back (a response may end inside a mutation's append). */
  readonly remaining: number;
}

/**
 * A store's state: what the stream holds (`confirmed`), the pending
 * mutations, and the view (`confirmed` with the pending mutations applied
 * in order: the same object while none is pending).
 */
export interface StoreState {
  readonly confirmed: CollectionMap;
  readonly view: CollectionMap;
  readonly pending: readonly Pending[];
  readonly snapshotInProgress: boolean;
  /** The last batch's position; undefined before the first. */
  readonly position: Pick<ReadPosition, 'checkpoint' | 'upToDate' | 'closed'> | undefined;
  readonly connection: ConnectionState;
}

/** What changes a store's state. */
export type StoreEvent =
  | {
      readonly kind: 'batch';
      readonly changes: DecodedChanges;
      readonly position: Pick<ReadPosition, 'checkpoint' | 'upToDate' | 'closed'>;
    }
  | {
      readonly kind: 'mutate';
      readonly txid: string;
      readonly changes: readonly ChangeMessage[];
      readonly ops: readonly StateOp[];
    }
  | { readonly kind: 'delivered'; readonly txid: string }
  | { readonly kind: 'failed'; readonly txid: string }
  | { readonly kind: 'connection'; readonly state: ConnectionState };

/** The state of a store before its first batch: `confirmed` as given (empty collections, or a resumed state). */
export function initialState(confirmed: CollectionMap, position: StoreState['position']): StoreState {
  return {
    confirmed,
    view: confirmed,
    pending: [],
    snapshotInProgress: false,
    position,
    connection: { status: 'connecting' },
  };
}

/**
 * The store's reducer (pure): a batch read from the stream is applied to
 * `confirmed`, and retires the pending mutations whose messages it holds;
 * a mutation goes on top of the view; a failed one is dropped. While
 * nothing is pending the view is `confirmed` itself, so a batch costs what
 * `materialize()` costs. `empty` is every collection, empty (what a `reset` leaves).
 */
export function reduceStore(state: StoreState, event: StoreEvent, empty: CollectionMap): StoreState {
  switch (event.kind) {
    case 'batch': {
      const draft = new Draft(state.confirmed, empty);
      let snapshotInProgress = state.snapshotInProgress;
      for (const op of event.changes.ops) {
        if (op.kind === 'snapshot') snapshotInProgress = op.inProgress;
        else if (op.kind === 'reset') {
          snapshotInProgress = false;
          draft.reset();
        } else apply(draft, op);
      }
      const confirmed = draft.commit();
      const pending = readBack(state.pending, event.changes.txids);
      const next = { ...state, pending, snapshotInProgress, position: event.position };
      if (pending === state.pending && confirmed === state.confirmed) return next;
      return { ...next, ...restack(state, confirmed, pending, event.changes.ops, empty) };
    }
    case 'mutate': {
      const { txid, changes, ops } = event;
      const draft = new Draft(state.view, empty);
      for (const op of ops) apply(draft, op);
      const mutation = Object.freeze({ txid, changes: Object.freeze(changes), status: 'sending' as const });
      const pending: Pending = { mutation, ops, remaining: changes.length };
      return { ...state, view: draft.commit(), pending: [...state.pending, pending] };
    }
    case 'delivered': {
      const at = state.pending.findIndex(({ mutation }) => mutation.txid === event.txid);
      if (at < 0 || state.pending[at].mutation.status === 'delivered') return state;
      const pending = state.pending.map((entry, index) =>
        index === at
          ? { ...entry, mutation: Object.freeze({ ...entry.mutation, status: 'delivered' as const }) }
          : entry,
      );
      return { ...state, pending };
    }
    case 'failed': {
      const pending = state.pending.filter(({ mutation }) => mutation.txid !== event.txid);
      if (pending.length === state.pending.length) return state;
      return { ...state, pending, ...restack(state, state.confirmed, pending, [], empty) };
    }
    case 'connection':
      return { ...state, connection: event.state };
  }
}

/** The pending mutations once a batch holding `txids` is read: those whose every message came back are retired. */
function readBack(pending: readonly Pending[], txids: ReadonlyMap<string, number>): readonly Pending[] {
  if (txids.size === 0 || !pending.some(({ mutation }) => txids.has(mutation.txid))) return pending;
  return pending.flatMap((entry) => {
    const seen = txids.get(entry.mutation.txid) ?? 0;
    if (seen === 0) return [entry];
    return seen >= entry.remaining ? [] : [{ ...entry, remaining: entry.remaining - seen }];
  });
}

/** The txids of the mutations a batch read back: pending before it, gone after (a batch drops a mutation no other way). */
export function readBackBy(before: StoreState, after: StoreState): string[] {
  if (before.pending === after.pending) return [];
  const left = new Set(after.pending.map(({ mutation }) => mutation.txid));
  return before.pending.map(({ mutation }) => mutation.txid).filter((txid) => !left.has(txid));
}
