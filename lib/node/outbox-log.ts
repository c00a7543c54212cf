import { crc32 } from 'node:zlib';
import { applyChange } from '../produce/outbox/memory-outbox.js';
import type { OutboxBatch, OutboxChange, OutboxContents } from '../produce/outbox/producer-outbox.js';

/*
 * A file outbox's log: what `fileOutbox()` appends, one record per change,
 * and how it is read back. Pure: bytes in, bytes out.
 *
 *   file    = FILE_MAGIC record*
 *   record  = RECORD_MAGIC u32 payload length, u32 crc32(payload), u32 crc32(the 12 bytes before), payload
 *   payload = u32 meta length, meta (JSON, UTF-8), the batches' bodies one after another
 *
 * Integers are little-endian. The header's own checksum makes a record's
 * length trustworthy before its payload is read; the payload's says the
 * payload is the one written. A record is appended and synced before the
 * next one is, so a crash can tear only the last record: a log whose first
 * bad record is followed by no good one ends with a torn write, which is
 * dropped; a bad record followed by a good one is damage, never skipped.
 */

/** The first bytes of every outbox log: what tells it from another file. */
export const FILE_MAGIC = new TextEncoder().encode('durable-streams-rx outbox 1\n');
const RECORD_MAGIC = new Uint8Array([0x4f, 0x42, 0x58, 0x31]); // OBX1
const HEADER_BYTES = 16;

/** A batch's fields in a record's meta: [epoch, seq, count, close, contentType, sizes, body length or -1]. */
type BatchMeta = [number, number, number, 0 | 1, string, readonly number[] | null, number];

interface RecordMeta {
  /** replaceAll */
  readonly r?: 1;
  /** acknowledged: [epoch, seq] */
  readonly a?: readonly [number, number];
  /** position */
  readonly p?: OutboxChange['position'];
  /** put */
  readonly b?: readonly BatchMeta[];
}

/**
 * One record for `change`, ready to append: its header and meta, then the
 * batches' bodies as they are (not copied: written with one `writev`).
 */
export function encodeRecord(change: OutboxChange): Uint8Array[] {
  const put = change.put ?? [];
  const meta: RecordMeta = {
    ...(change.replaceAll ? { r: 1 as const } : {}),
    ...(change.acknowledged ? { a: [change.acknowledged.epoch, change.acknowledged.seq] as const } : {}),
    ...(change.position ? { p: change.position } : {}),
    ...(put.length > 0 ? { b: put.map(batchMeta) } : {}),
  };
  const metaBytes = Buffer.from(JSON.stringify(meta));
  const bodies = put.flatMap(({ body }) => (body && body.byteLength > 0 ? [body] : []));
  const head = Buffer.allocUnsafe(HEADER_BYTES + 4 + metaBytes.byteLength);
  head.set(RECORD_MAGIC, 0);
  const payloadLength = bodies.reduce((sum, body) => sum + body.byteLength, head.byteLength - HEADER_BYTES);
  head.writeUInt32LE(payloadLength, 4);
  head.writeUInt32LE(metaBytes.byteLength, HEADER_BYTES);
  head.set(metaBytes, HEADER_BYTES + 4);
  const payloadCrc = bodies.reduce((crc, body) => crc32(body, crc), crc32(head.subarray(HEADER_BYTES)));
  head.writeUInt32LE(payloadCrc, 8);
  head.writeUInt32LE(crc32(head.subarray(0, 12)), 12);
  return [head, ...bodies];
}

/** What a log holds: its contents, and how many of its bytes are whole records (a torn last write is past them). */
export interface ReadLog {
  readonly contents: OutboxContents;
  /** Bytes of the file magic and every whole record: where the next record goes. */
  readonly validBytes: number;
}

/** A log that is not an outbox's, or damaged elsewhere than at its end. */
export class DamagedLogError extends Error {
  override name = 'DamagedLogError';
}

/**
 * Reads a whole log: the contents its records add up to, and where its
 * whole records end. A torn last record is left out (its bytes are past
 * `validBytes`); a log that does not begin with the file magic, or has a bad
 * record followed by a good one, throws a `DamagedLogError`. An empty file,
 * or a torn file magic, reads as an empty outbox.
 */
export function readLog(log: Uint8Array): ReadLog {
  const empty: OutboxContents = { position: undefined, batches: [] };
  if (log.byteLength < FILE_MAGIC.byteLength) {
    if (!startsWith(FILE_MAGIC, log)) throw new DamagedLogError('it is not an outbox log (its first bytes differ)');
    return { contents: empty, validBytes: 0 };
  }
  if (!startsWith(log, FILE_MAGIC)) throw new DamagedLogError('it is not an outbox log (its first bytes differ)');
  let contents = empty;
  let at = FILE_MAGIC.byteLength;
  while (at < log.byteLength) {
    const end = recordEnd(log, at);
    if (end === undefined) {
      const next = nextGoodRecord(log, at + 1);
      if (next !== undefined)
        throw new DamagedLogError(`the record at byte ${at} is damaged, and the one at byte ${next} is whole`);
      break; // the torn last write
    }
    contents = applyChange(contents, decodePayload(log.subarray(at + HEADER_BYTES, end)));
    at = end;
  }
  return { contents, validBytes: at };
}

/** Where the record at `at` ends, if it is whole (magic, header and payload checksums). */
function recordEnd(log: Uint8Array, at: number): number | undefined {
  if (at + HEADER_BYTES > log.byteLength) return undefined;
  for (const [index, byte] of RECORD_MAGIC.entries()) if (log[at + index] !== byte) return undefined;
  const view = new DataView(log.buffer, log.byteOffset + at, HEADER_BYTES);
  if (crc32(log.subarray(at, at + 12)) !== view.getUint32(12, true)) return undefined;
  const end = at + HEADER_BYTES + view.getUint32(4, true);
  if (end > log.byteLength) return undefined;
  return crc32(log.subarray(at + HEADER_BYTES, end)) === view.getUint32(8, true) ? end : undefined;
}

/** The offset of the first whole record at or after `from`, if any. */
function nextGoodRecord(log: Uint8Array, from: number): number | undefined {
  const bytes = Buffer.from(log.buffer, log.byteOffset, log.byteLength);
  for (let at = bytes.indexOf(RECORD_MAGIC, from); at >= 0; at = bytes.indexOf(RECORD_MAGIC, at + 1))
    if (recordEnd(log, at) !== undefined) return at;
  return undefined;
}

function decodePayload(payload: Uint8Array): OutboxChange {
  const view = new DataView(payload.buffer, payload.byteOffset, payload.byteLength);
  const metaLength = view.getUint32(0, true);
  const meta = JSON.parse(new TextDecoder().decode(payload.subarray(4, 4 + metaLength))) as RecordMeta;
  let at = 4 + metaLength;
  const put = (meta.b ?? []).map(([epoch, seq, count, close, contentType, sizes, length]): OutboxBatch => {
    // A copy: the log read at open is let go once its batches are taken out of it.
    const body = length < 0 ? undefined : new Uint8Array(payload.subarray(at, at + length));
    at += Math.max(length, 0);
    return { epoch, seq, count, body, sizes: sizes ?? undefined, close: close === 1, contentType };
  });
  return {
    ...(meta.r ? { replaceAll: true } : {}),
    ...(meta.a ? { acknowledged: { epoch: meta.a[0], seq: meta.a[1] } } : {}),
    ...(put.length > 0 ? { put } : {}),
    ...(meta.p ? { position: meta.p } : {}),
  };
}

function batchMeta({ epoch, seq, count, close, contentType, sizes, body }: OutboxBatch): BatchMeta {
  return [epoch, seq, count, close ? 1 : 0, contentType, sizes ?? null, body ? body.byteLength : -1];
}

function startsWith(bytes: Uint8Array, prefix: Uint8Array): boolean {
  return prefix.every((byte, index) => bytes[index] === byte);
}
