/**
 * The Durable Streams State Protocol's message shapes, and the batches
 * {@link materialize} accepts.
 *
 * @packageDocumentation
 */

/** A change operation (State Protocol section 4.1; `upsert` as `@durable-streams/state` writes it). */
export type ChangeOperation = 'insert' | 'update' | 'upsert' | 'delete';

/** A control signal (State Protocol section 4.2). */
export type ControlSignal = 'snapshot-start' | 'snapshot-end' | 'reset';

/** A state mutation on the entity `type`/`key`. */
export interface ChangeMessage<V = unknown> {
  /** Entity type: routes the change to a collection. Non-empty. */
  readonly type: string;
  /** Entity key, unique within its type. Non-empty. */
  readonly key: string;
  /** The new value. Required for `insert` and `update`; optional for `delete`. */
  readonly value?: V;
  /** The previous value, for audit or conflict detection. Never applied. */
  readonly old_value?: V;
  /** What the change does, and its metadata. */
  readonly headers: {
    /** The operation applied to the entity. */
    readonly operation: ChangeOperation;
    /** Opaque transaction id. Non-empty when present. */
    readonly txid?: string;
    /** RFC 3339 time of the change. */
    readonly timestamp?: string;
    /** Other headers a writer added (`@durable-streams/state`'s helpers take any). */
    readonly [header: string]: string | undefined;
  };
}

/** A stream-management signal: snapshot boundaries or a reset. */
export interface ControlMessage {
  /** The signal and its metadata. */
  readonly headers: {
    /** Which signal this is. */
    readonly control: ControlSignal;
    /** The stream offset the signal refers to. Non-empty when present. */
    readonly offset?: string;
  };
}

/** Any message of the State Protocol. */
export type StateMessage<V = unknown> = ChangeMessage<V> | ControlMessage;

/**
 * A batch as a reader delivers it, e.g. the SDK's `JsonBatch`. Only `items` is
 * required; the other fields are copied into the emitted snapshot when present.
 */
export interface StateBatchLike {
  /** The messages of one stream response, in stream order. Validated at runtime. */
  readonly items: readonly unknown[];
  /** The offset to resume from after this batch. */
  readonly offset?: string;
  /** Whether this batch reached the tail of the stream. */
  readonly upToDate?: boolean;
  /** Whether the stream is closed: no more batches will follow. */
  readonly closed?: boolean;
}

/**
 * What {@link materialize} accepts: a bare array of messages (one per stream
 * response) or a batch object carrying them in `items`. Elements are typed
 * `unknown` because stream content is untrusted and checked message by message.
 */
export type StateBatch = readonly unknown[] | StateBatchLike;
