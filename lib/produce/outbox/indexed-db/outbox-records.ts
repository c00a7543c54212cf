import { OutboxError } from '../outbox-errors.js';
import type { OutboxBatch, OutboxPosition } from '../producer-outbox.js';

/** An outbox's record in the `outboxes` store. */
export interface OutboxRecord {
  readonly name: string;
  readonly position: OutboxPosition | undefined;
}

/** A batch's record in the `batches` store: the batch, and the outbox it belongs to (the first part of its key). */
export interface BatchRecord extends OutboxBatch {
  readonly outbox: string;
}

/**
 * The record of `batch` in outbox `outbox`. The body is copied when it is
 * a view into a larger buffer: IndexedDB stores a view's whole buffer.
 */
export function batchRecord(outbox: string, batch: OutboxBatch): BatchRecord {
  const { body } = batch;
  const whole = !body || (body.byteOffset === 0 && body.byteLength === body.buffer.byteLength);
  return {
    outbox,
    epoch: batch.epoch,
    seq: batch.seq,
    count: batch.count,
    body: whole ? body : body.slice(),
    sizes: batch.sizes && [...batch.sizes],
    close: batch.close,
    contentType: batch.contentType,
  };
}

/** The batch a record holds; an `OutboxError` (`damaged`) when it is not one of ours. */
export function batchOf(record: unknown, outbox: string): OutboxBatch {
  const value = record as Partial<BatchRecord> | null;
  const ok =
    typeof value === 'object' &&
    value !== null &&
    isCount(value.epoch) &&
    isCount(value.seq) &&
    isCount(value.count) &&
    (value.body === undefined || isBytes(value.body)) &&
    (value.sizes === undefined || (Array.isArray(value.sizes) && value.sizes.every(Number.isInteger))) &&
    typeof value.close === 'boolean' &&
    typeof value.contentType === 'string';
  if (!ok) throw damaged(outbox, 'a saved batch');
  const { epoch, seq, count, body, sizes, close, contentType } = value as BatchRecord;
  return { epoch, seq, count, body, sizes, close, contentType };
}

/** The position an outbox record holds (undefined for none); an `OutboxError` (`damaged`) when it is not one of ours. */
export function positionOf(
  record: { readonly position?: unknown } | undefined,
  outbox: string,
): OutboxPosition | undefined {
  const position = record?.position as Partial<OutboxPosition> | null | undefined;
  if (position === undefined) return undefined;
  const ok =
    typeof position === 'object' &&
    position !== null &&
    typeof position.url === 'string' &&
    typeof position.producerId === 'string' &&
    isCount(position.epoch) &&
    isCount(position.nextSeq) &&
    (position.contentType === undefined || typeof position.contentType === 'string');
  if (!ok) throw damaged(outbox, 'its position');
  const { url, producerId, epoch, nextSeq, contentType } = position as OutboxPosition;
  return { url, producerId, epoch, nextSeq, contentType };
}

/** A Uint8Array, of this realm or another (what IndexedDB hands back to a test's realm may be Node's). */
const isBytes = (value: unknown): value is Uint8Array =>
  Object.prototype.toString.call(value) === '[object Uint8Array]';

const isCount = (value: unknown): value is number => Number.isSafeInteger(value) && (value as number) >= 0;

function damaged(outbox: string, what: string): OutboxError {
  return new OutboxError({
    reason: 'damaged',
    what: `The IndexedDB outbox ${outbox} holds ${what} in a shape not ours`,
  });
}
