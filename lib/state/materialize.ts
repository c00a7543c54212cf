import { defer, map, type OperatorFunction } from 'rxjs';
import { InvalidArgumentError } from '../errors/client-errors.js';
import { describeValue } from '../util/describe-value.js';
import { checkMessage, isControl, readBatch } from './check-message.js';
import { nullRecord, seed, type CollectionMap } from './collections.js';
import { Draft } from './draft.js';
import type { StateMessage, StateBatch } from './messages.js';
import type { Collections, MaterializeOptions, StateSnapshot } from './snapshot.js';
import { StateProtocolError } from './state-protocol-error.js';

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
 * readJson(stream).pipe(
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
    throw new InvalidArgumentError(
      `materialize(): \`unknownTypes\` must be 'ignore' or 'error', got ${describeValue(unknownTypes)}`,
    );
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
              throw new StateProtocolError(
                `entity type "${message.type}" is not one of \`types\``,
                item,
                index,
                offset,
              );
            }
            if (message.headers.operation === 'delete') draft.delete(message.type, message.key);
            else draft.set(message.type, message.key, message.value);
          });
          collections = draft.commit();
          return Object.freeze({
            collections: collections as Collections<Entities>,
            snapshotInProgress,
            upToDate,
            offset,
            closed,
          });
        }),
      );
    });
}
