import { defer, map, type OperatorFunction } from 'rxjs';
import { DurableStreamError, InvalidArgumentError } from '../errors/index.js';
import type {
  Collection,
  Collections,
  ControlMessage,
  MaterializeOptions,
  StateBatch,
  StateMessage,
  StateSnapshot,
} from './materialize.types.js';

/**
 * A batch or message that does not follow the Durable Streams State Protocol.
 * Raised by {@link materialize}, which never skips a malformed message.
 */
export class StateProtocolError extends DurableStreamError {
  /** The offending message (or batch, when the batch itself is malformed). */
  readonly stateMessage: unknown;
  /** The message's position in its batch; `undefined` when the batch is malformed. */
  readonly index: number | undefined;
  /** The `offset` of the batch holding the message (where that batch ends), when it carried one. */
  readonly offset: string | undefined;

  constructor(problem: string, stateMessage: unknown, index?: number, offset?: string) {
    const where = index === undefined ? 'Invalid State Protocol batch' : `Invalid State Protocol message at index ${index}`;
    const at = offset === undefined ? '' : ` of the batch ending at offset ${offset}`;
    super('STATE_PROTOCOL_ERROR', `${where}${at}: ${problem}. Got: ${describe(stateMessage)}`, {
      url: '',
      hint: 'materialize() stopped at this message; nothing after it was applied',
    });
    this.stateMessage = stateMessage;
    this.index = index;
    this.offset = offset;
  }
}

/**
 * Materializes Durable Streams State Protocol messages into immutable
 * snapshots of entity collections.
 *
 * Each input batch (one stream response: a bare message array, or an object
 * with `items` such as `JsonBatch`) is applied in order, then exactly one
 * {@link StateSnapshot} is emitted for it, even when it changed nothing.
 * `insert` and `update` (and `upsert`, which `@durable-streams/state` writes
 * though the protocol does not list it) store `value` at `type`/`key`, `delete` removes it,
 * `reset` clears all state, and `snapshot-start`/`snapshot-end` toggle
 * `snapshotInProgress`. Snapshots, `collections` and every collection are
 * frozen; unchanged collections keep their identity between emissions.
 *
 * Each subscription materializes its own state from the source, starting
 * from `options.initial` (state saved earlier, to resume a read from a saved
 * checkpoint) or else from empty collections; nothing is shared between
 * subscribers. A malformed batch or message errors the output with a
 * {@link StateProtocolError}.
 *
 * @param options Which entity types to keep, how to treat others, and the state to start from.
 * @returns An operator from batches to state snapshots.
 * @throws InvalidArgumentError When an option is invalid, e.g. `initial` is not a plain object of plain objects.
 *
 * @example
 * ```ts
 * stream.readJson().pipe(
 *   materialize<{ user: User }>({ types: ['user'] }),
 *   filter((state) => !state.snapshotInProgress),
 * ).subscribe((state) => render(Object.values(state.collections.user ?? {})));
 * ```
 */
export function materialize<Entities extends object = Record<string, unknown>>(
  options: MaterializeOptions<Entities> = {},
): OperatorFunction<StateBatch, StateSnapshot<Entities>> {
  const { types, unknownTypes = 'ignore' } = options;
  if (types?.some((type) => typeof type !== 'string' || type === '')) {
    throw new InvalidArgumentError('materialize(): `types` must list non-empty strings');
  }
  if (unknownTypes !== 'ignore' && unknownTypes !== 'error') {
    throw new InvalidArgumentError(`materialize(): \`unknownTypes\` must be 'ignore' or 'error', got ${describe(unknownTypes)}`);
  }
  const allowed = types && new Set<string>(types);
  const empty: CollectionMap = Object.freeze(
    Object.assign(nullRecord(), Object.fromEntries((types ?? []).map((type) => [type, Object.freeze(nullRecord())]))),
  );
  const seeded = options.initial === undefined ? empty : seed(options.initial, empty, allowed, unknownTypes);

  return (source) =>
    defer(() => {
      let collections: CollectionMap = seeded;
      let snapshotInProgress = false;

      return source.pipe(
        map((batch): StateSnapshot<Entities> => {
          const { items, offset, upToDate, closed } = readBatch(batch);
          const draft = new Draft(collections, empty);
          items.forEach((item, index) => {
            const problem = checkMessage(item);
            if (problem) throw new StateProtocolError(problem, item, index, offset);
            const message = item as StateMessage;
            if (isControl(message)) {
              if (message.headers.control === 'reset') draft.reset();
              snapshotInProgress = message.headers.control === 'snapshot-start';
              return;
            }
            if (allowed && !allowed.has(message.type)) {
              if (unknownTypes === 'ignore') return;
              throw new StateProtocolError(`entity type "${message.type}" is not one of \`types\``, item, index, offset);
            }
            if (message.headers.operation === 'delete') draft.delete(message.type, message.key);
            else draft.set(message.type, message.key, message.value);
          });
          collections = draft.commit();
          return Object.freeze({ collections: collections as Collections<Entities>, snapshotInProgress, upToDate, offset, closed });
        }),
      );
    });
}

type CollectionMap = Readonly<Record<string, Collection>>;

/**
 * Copy-on-write edits of one batch: a collection is copied on its first
 * change, and {@link Draft.commit} reuses every collection whose entries
 * (keys and value references) end up unchanged.
 */
class Draft {
  private base: CollectionMap;
  private readonly edits = new Map<string, Record<string, unknown>>();

  constructor(
    private readonly previous: CollectionMap,
    private readonly empty: CollectionMap,
  ) {
    this.base = previous;
  }

  set(type: string, key: string, value: unknown): void {
    this.edit(type)[key] = value;
  }

  delete(type: string, key: string): void {
    const current = this.edits.get(type) ?? this.base[type];
    if (current && Object.hasOwn(current, key)) delete this.edit(type)[key];
  }

  reset(): void {
    this.base = this.empty;
    this.edits.clear();
  }

  commit(): CollectionMap {
    if (this.base === this.previous && this.edits.size === 0) return this.previous;
    const next: Record<string, Collection> = Object.assign(nullRecord(), this.base);
    for (const [type, edited] of this.edits) next[type] = edited;
    let changed = Object.keys(next).length !== Object.keys(this.previous).length;
    for (const type of Object.keys(next)) {
      const before = this.previous[type];
      if (before && sameEntries(before, next[type]!)) {
        next[type] = before;
      } else {
        Object.freeze(next[type]);
        changed = true;
      }
    }
    return changed ? Object.freeze(next) : this.previous;
  }

  private edit(type: string): Record<string, unknown> {
    let edited = this.edits.get(type);
    if (!edited) {
      edited = Object.assign(nullRecord(), this.base[type]);
      this.edits.set(type, edited);
    }
    return edited;
  }
}

/**
 * Validates `initial` and copies it into frozen, null-prototype collections
 * on top of `empty` (the listed types), so later changes to the caller's
 * objects do not reach the state. Entity values are kept by reference.
 */
function seed(initial: unknown, empty: CollectionMap, allowed: ReadonlySet<string> | undefined, unknownTypes: string): CollectionMap {
  if (!isPlainObject(initial)) {
    throw new InvalidArgumentError(`materialize(): \`initial\` must be a plain object of collections by entity type, got ${describe(initial)}`);
  }
  const collections: Record<string, Collection> = Object.assign(nullRecord(), empty);
  for (const [type, collection] of Object.entries(initial)) {
    if (type === '') throw new InvalidArgumentError('materialize(): `initial` has an empty entity type');
    if (!isPlainObject(collection)) {
      throw new InvalidArgumentError(
        `materialize(): \`initial.${type}\` must be a plain object of entities by key, got ${describe(collection)}`,
      );
    }
    if (allowed && !allowed.has(type)) {
      if (unknownTypes === 'ignore') continue;
      throw new InvalidArgumentError(`materialize(): \`initial\` has entity type "${type}", which is not one of \`types\``);
    }
    if (Object.hasOwn(collection, '')) throw new InvalidArgumentError(`materialize(): \`initial.${type}\` has an empty key`);
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

function sameEntries(a: Collection, b: Collection): boolean {
  if (a === b) return true;
  const keys = Object.keys(a);
  return keys.length === Object.keys(b).length && keys.every((key) => Object.hasOwn(b, key) && a[key] === b[key]);
}

function readBatch(batch: StateBatch): {
  items: readonly unknown[];
  offset: string | undefined;
  upToDate: boolean | undefined;
  closed: boolean | undefined;
} {
  if (Array.isArray(batch)) return { items: batch, offset: undefined, upToDate: undefined, closed: undefined };
  const { items, offset, upToDate, closed } = (isObject(batch) ? batch : {}) as Partial<Record<string, unknown>>;
  if (!Array.isArray(items)) {
    throw new StateProtocolError('expected an array of messages or an object with an `items` array', batch);
  }
  return {
    items,
    offset: typeof offset === 'string' ? offset : undefined,
    upToDate: typeof upToDate === 'boolean' ? upToDate : undefined,
    closed: typeof closed === 'boolean' ? closed : undefined,
  };
}

// `upsert` is not in the State Protocol, but the reference state package writes it: read it as insert-or-update.
const OPERATIONS: ReadonlySet<unknown> = new Set(['insert', 'update', 'upsert', 'delete']);
const CONTROLS: ReadonlySet<unknown> = new Set(['snapshot-start', 'snapshot-end', 'reset']);
const RFC3339 =
  /^\d{4}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])[Tt ]([01]\d|2[0-3]):[0-5]\d:([0-5]\d|60)(\.\d+)?([Zz]|[+-]([01]\d|2[0-3]):[0-5]\d)$/;

/** Returns what is wrong with `item` per State Protocol sections 4 and 5, or `undefined` if it is valid. */
function checkMessage(item: unknown): string | undefined {
  if (!isObject(item)) return 'a message must be a JSON object';
  const message = item as Record<string, unknown>;
  if (!isObject(message['headers'])) return '`headers` must be an object';
  const headers = message['headers'] as Record<string, unknown>;
  const { operation, control } = headers;
  if (operation !== undefined && control !== undefined) return '`headers` has both `operation` and `control`';
  if (control !== undefined) {
    if (!CONTROLS.has(control)) return '`headers.control` must be "snapshot-start", "snapshot-end" or "reset"';
    return optionalNonEmpty(headers['offset'], '`headers.offset`');
  }
  if (operation === undefined) return '`headers` needs `operation` (change message) or `control` (control message)';
  if (!OPERATIONS.has(operation)) return '`headers.operation` must be "insert", "update", "upsert" or "delete"';
  if (!nonEmpty(message['type'])) return '`type` must be a non-empty string';
  if (!nonEmpty(message['key'])) return '`key` must be a non-empty string';
  if (operation !== 'delete' && message['value'] === undefined) return `\`value\` is required for ${operation}`;
  const { timestamp } = headers;
  if (timestamp !== undefined && !(typeof timestamp === 'string' && RFC3339.test(timestamp))) {
    return '`headers.timestamp` must be an RFC 3339 timestamp';
  }
  return optionalNonEmpty(headers['txid'], '`headers.txid`');
}

function isControl(message: StateMessage): message is ControlMessage {
  return (message as Partial<ControlMessage>).headers?.control !== undefined;
}

function optionalNonEmpty(value: unknown, name: string): string | undefined {
  return value === undefined || nonEmpty(value) ? undefined : `${name} must be a non-empty string when present`;
}

function nonEmpty(value: unknown): value is string {
  return typeof value === 'string' && value !== '';
}

function isObject(value: unknown): value is object {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** An empty record without prototype, so that any string (`constructor`, `__proto__`) is a plain key. */
function nullRecord<V>(): Record<string, V> {
  return Object.create(null) as Record<string, V>;
}

function describe(value: unknown): string {
  let text: string | undefined;
  try {
    text = JSON.stringify(value);
  } catch {
    // circular or BigInt: fall back below
  }
  text ??= String(value);
  return text.length > 200 ? `${text.slice(0, 200)}…` : text;
}
