import type { Checkpoint } from '../protocol/offset.js';
import type { ConnectionState } from '../read/connection-state.js';
import type { ChangeMessage } from './messages.js';
import type { Collection } from './snapshot.js';

/** Every collection of a store by name, each a frozen null-prototype record of entities by key. */
export type StateCollections<Entities extends object> = {
  readonly [K in keyof Entities]: Collection<Entities[K]>;
};

/**
 * A `mutate()` not yet seen in the stream: shown in the view on top of what
 * the stream holds, until its `txid` is read back (then it is part of the
 * stream's state) or its write fails (then it is dropped).
 */
export interface PendingMutation {
  /** The transaction id every message of the mutation carries in `headers.txid`. */
  readonly txid: string;
  /** The change messages written, in order. */
  readonly changes: readonly ChangeMessage[];
  /** `sending`: not yet acknowledged by the server; `delivered`: acknowledged, not yet read back. */
  readonly status: 'sending' | 'delivered';
}

/**
 * What a state store shows: the stream's state with the pending mutations
 * applied on top, and where the read stands. Frozen, as are `collections`
 * and each collection; a collection whose entries did not change keeps its
 * identity from one view to the next (compare with `===`).
 */
export interface StateView<Entities extends object = Record<string, unknown>> {
  /** Entities by collection name, then key: the stream's state, pending mutations on top. Every collection of the schema is there, possibly empty. */
  readonly collections: StateCollections<Entities>;
  /** Mutations applied to `collections` and not yet read back from the stream, oldest first. */
  readonly pending: readonly PendingMutation[];
  /** The read reached the stream's tail (at its last batch). */
  readonly upToDate: boolean;
  /** Where the read's connection stands: `connection.status`. */
  readonly status: ConnectionState['status'];
  /** Where the read's connection stands, with the retry's attempt and delay while reconnecting. */
  readonly connection: ConnectionState;
  /** Where the read stands: the state in `collections`, pending mutations aside, is the stream's up to here. */
  readonly checkpoint: Checkpoint | undefined;
  /** The stream is closed (EOF): no change will come, and no mutation can be written. */
  readonly closed: boolean;
  /** A `snapshot-start` was read and its `snapshot-end` not yet: the state is partial. */
  readonly snapshotInProgress: boolean;
}
