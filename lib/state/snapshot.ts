/**
 * What {@link materialize} emits, and its options.
 *
 * @packageDocumentation
 */

/**
 * One entity type's entities by key: a frozen object with a `null` prototype,
 * so keys such as `constructor` or `__proto__` are ordinary entries.
 */
export type Collection<V = unknown> = Readonly<Record<string, V>>;

/**
 * Every collection by entity type. `Entities` maps a type name to its value
 * type, e.g. `{ user: User; message: Message }`. A collection appears when
 * an entity of its type is first stored (or from the start when listed in
 * `types`) and stays, possibly empty, until a `reset`; so lookups are optional.
 */
export type Collections<Entities extends object = Record<string, unknown>> = {
  readonly [T in keyof Entities & string]?: Collection<Entities[T]>;
};

/**
 * The materialized state after one input batch. Frozen, as are `collections`
 * and every collection in it; entity values are passed through as received.
 */
export interface StateSnapshot<Entities extends object = Record<string, unknown>> {
  /**
   * Entities by type, then key. A collection whose entries (keys and value
   * references) did not change keeps its identity; so does `collections`
   * itself when no collection changed.
   */
  readonly collections: Collections<Entities>;
  /**
   * True after a `snapshot-start` until the next `snapshot-end` or `reset`:
   * the snapshot's messages have not all arrived yet.
   */
  readonly snapshotInProgress: boolean;
  /** The batch's `upToDate` flag; `undefined` when the batch had none (bare arrays). */
  readonly upToDate: boolean | undefined;
  /** The batch's `offset`, the position to resume from; `undefined` when absent. */
  readonly offset: string | undefined;
  /** The batch's `closed` flag; `undefined` when absent. */
  readonly closed: boolean | undefined;
}

/** Options of {@link materialize}. */
export interface MaterializeOptions<Entities extends object = Record<string, unknown>> {
  /**
   * The entity types to materialize. Their collections exist from the first
   * emission, even when empty. Omit to materialize every type in the stream.
   */
  readonly types?: readonly (keyof Entities & string)[];
  /**
   * What to do with a valid change message whose type is not in `types`:
   * `'ignore'` (the default) skips it, which suits multi-type streams read by
   * several views; `'error'` fails the stream with a `StateProtocolError`,
   * which rejects unexpected types (State Protocol section 9.4).
   * Messages are always validated first: a malformed one is an error either way.
   */
  readonly unknownTypes?: 'ignore' | 'error';
  /**
   * The state to start from instead of empty collections: the `collections`
   * of an earlier snapshot, saved together with the checkpoint a resumed
   * read starts from. The first emission applies its batch on top of it.
   *
   * Must be a plain object (`{}`, `JSON.parse`, or no prototype) whose
   * properties are plain objects of entities by key; otherwise
   * `materialize()` throws an `InvalidArgumentError`. It is copied when the
   * operator is created, entity values by reference. With `types`, a
   * collection of another type is dropped (`unknownTypes: 'ignore'`) or
   * rejected (`'error'`), as its messages would be. A `reset` clears it like
   * any other state.
   */
  readonly initial?: Collections<Entities>;
}
