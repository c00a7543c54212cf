import type { StandardSchemaV1 } from '@standard-schema/spec';
import { checkMessage, isControl } from './check-message.js';
import type { StateMessage } from './messages.js';
import { StateProtocolError } from './state-protocol-error.js';
import { StateValidationError } from './state-validation-error.js';
import { validateEntity } from './validate-entity.js';

/** One step of a state change, by collection name: what the overlay applies. */
export type StateOp =
  | { readonly kind: 'set'; readonly collection: string; readonly key: string; readonly value: unknown }
  | { readonly kind: 'delete'; readonly collection: string; readonly key: string }
  | { readonly kind: 'reset' }
  | { readonly kind: 'snapshot'; readonly inProgress: boolean };

/** Messages decoded: the steps to apply in order, how many change messages each txid had, and the entities left out. */
export interface DecodedChanges {
  readonly ops: readonly StateOp[];
  readonly txids: ReadonlyMap<string, number>;
  readonly invalid: readonly StateValidationError[];
}

/** Where a collection's messages go: its name and its schema. */
export interface CollectionRoute {
  readonly name: string;
  readonly schema: StandardSchemaV1 | undefined;
}

/** What decoding needs to know of the store. */
export interface DecodeContext {
  /** Collections by entity type. Messages of any other type are ignored. */
  readonly routes: ReadonlyMap<string, CollectionRoute>;
  /** An invalid entity fails the batch (`error`), or is left out and reported (`skip`). */
  readonly onInvalid: 'error' | 'skip';
  /** The stream's URL, for errors. */
  readonly url: string;
}

/**
 * Checks and decodes one batch of State Protocol messages (pure, no I/O):
 * malformed messages throw a `StateProtocolError`, values that fail their
 * collection's schema a `StateValidationError` (or, when skipped, delete the
 * entity: the view never shows a value its schema refuses). Values are the
 * schema's output.
 */
export function decodeChanges(
  items: readonly unknown[],
  offset: string | undefined,
  context: DecodeContext,
): DecodedChanges {
  const ops: StateOp[] = [];
  const txids = new Map<string, number>();
  const invalid: StateValidationError[] = [];
  items.forEach((item, index) => {
    const problem = checkMessage(item);
    if (problem) throw new StateProtocolError(problem, item, index, offset);
    const message = item as StateMessage;
    if (isControl(message)) {
      const { control } = message.headers;
      ops.push(
        control === 'reset' ? { kind: 'reset' } : { kind: 'snapshot', inProgress: control === 'snapshot-start' },
      );
      return;
    }
    const { txid } = message.headers;
    if (txid !== undefined) txids.set(txid, (txids.get(txid) ?? 0) + 1);
    const route = context.routes.get(message.type);
    if (!route) return;
    const { key } = message;
    if (message.headers.operation === 'delete') return void ops.push({ kind: 'delete', collection: route.name, key });
    const result = validateEntity(route.schema, message.value, route.name);
    if (!result.issues) return void ops.push({ kind: 'set', collection: route.name, key, value: result.value });
    const error = new StateValidationError({
      url: context.url,
      collection: route.name,
      entityType: message.type,
      key,
      offset,
      issues: result.issues,
      value: message.value,
      during: 'read',
    });
    if (context.onInvalid === 'error') throw error;
    invalid.push(error);
    ops.push({ kind: 'delete', collection: route.name, key });
  });
  return { ops, txids, invalid };
}
