import type { ControlMessage, StateBatch, StateMessage } from './messages.js';
import { StateProtocolError } from './state-protocol-error.js';

/** A non-null object that is not an array. */
export function isObject(value: unknown): value is object {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** A batch's messages and position fields, checked: a bare array carries no position. */
export function readBatch(batch: StateBatch): {
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
const isOperation = (value: unknown): value is string => OPERATIONS.has(value);
const CONTROLS: ReadonlySet<unknown> = new Set(['snapshot-start', 'snapshot-end', 'reset']);
const RFC3339 =
  /^\d{4}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])[Tt ]([01]\d|2[0-3]):[0-5]\d:([0-5]\d|60)(\.\d+)?([Zz]|[+-]([01]\d|2[0-3]):[0-5]\d)$/;

/** Returns what is wrong with `item` per State Protocol sections 4 and 5, or `undefined` if it is valid. */
export function checkMessage(item: unknown): string | undefined {
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
  if (!isOperation(operation)) return '`headers.operation` must be "insert", "update", "upsert" or "delete"';
  if (!nonEmpty(message['type'])) return '`type` must be a non-empty string';
  if (!nonEmpty(message['key'])) return '`key` must be a non-empty string';
  if (operation !== 'delete' && message['value'] === undefined) return `\`value\` is required for ${operation}`;
  const { timestamp } = headers;
  if (timestamp !== undefined && !(typeof timestamp === 'string' && RFC3339.test(timestamp))) {
    return '`headers.timestamp` must be an RFC 3339 timestamp';
  }
  return optionalNonEmpty(headers['txid'], '`headers.txid`');
}

export function isControl(message: StateMessage): message is ControlMessage {
  return (message as Partial<ControlMessage>).headers?.control !== undefined;
}

function optionalNonEmpty(value: unknown, name: string): string | undefined {
  return value === undefined || nonEmpty(value) ? undefined : `${name} must be a non-empty string when present`;
}

function nonEmpty(value: unknown): value is string {
  return typeof value === 'string' && value !== '';
}
