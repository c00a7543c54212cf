import type { StandardSchemaV1 } from '@standard-schema/spec';
import { DurableStreamError } from '../errors/durable-stream-error.js';
import { describeValue } from '../util/describe-value.js';
import { describeIssues } from './validate-entity.js';

/**
 * An entity whose value does not match its collection's schema. A state
 * store raises it for a change read from the stream (`offset` says where;
 * by default it fails the store, `onInvalid: 'skip'` leaves the entity out
 * and reports it), and the schema's helpers and `mutate()` throw it for a
 * value refused before anything is written (`offset` undefined).
 */
export class StateValidationError extends DurableStreamError {
  override name = 'StateValidationError';
  /** The collection's name in the schema (`todos`). */
  readonly collection: string;
  /** The entity type of the change message (`todo`). */
  readonly entityType: string;
  /** The entity's key, when known. */
  readonly key: string | undefined;
  /** The `offset` of the batch holding the change (where that batch ends); undefined for a value not read from the stream. */
  readonly offset: string | undefined;
  /** What the schema said is wrong. */
  readonly issues: readonly StandardSchemaV1.Issue[];
  /** The value that failed. */
  readonly value: unknown;

  constructor(init: {
    readonly url: string;
    readonly collection: string;
    readonly entityType: string;
    readonly key: string | undefined;
    readonly offset: string | undefined;
    readonly issues: readonly StandardSchemaV1.Issue[];
    readonly value: unknown;
    /** What was being done: `read`, or the operation refused before writing (`insert`, `update`...). */
    readonly during: string;
  }) {
    const entity = `${init.collection}${init.key === undefined ? '' : `/${init.key}`} (type "${init.entityType}")`;
    const where = init.offset === undefined ? '' : ` in the batch ending at offset ${init.offset}`;
    const read = init.during === 'read';
    const what = `${read ? 'Entity' : `The ${init.during} of`} ${entity}${where} does not match its schema`;
    super('STATE_VALIDATION_ERROR', `${what}: ${describeIssues(init.issues)}. Got: ${describeValue(init.value)}`, {
      url: init.url,
      hint: read
        ? "The store stopped before this batch; onInvalid: 'skip' leaves such entities out and reports them on invalid$"
        : 'Nothing was written',
    });
    this.collection = init.collection;
    this.entityType = init.entityType;
    this.key = init.key;
    this.offset = init.offset;
    this.issues = init.issues;
    this.value = init.value;
  }
}
