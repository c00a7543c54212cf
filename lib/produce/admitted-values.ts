import { InvalidArgumentError } from '../errors/client-errors.js';
import { framingOf, type Framing } from '../protocol/content-type.js';
import { handBack } from './batch-values.js';
import { encodeValue, type Entry } from './encode.js';
import { ProducerBufferFullError, ValueTooLargeError, type BufferLimit } from './producer-errors.js';

/** What admission enforces. */
export interface AdmissionLimits {
  readonly maxBatchItems: number;
  readonly maxBatchBytes: number;
  readonly maxBufferedMessages: number;
  readonly maxBufferedBytes: number;
}

/** The limits, and what admission's errors name. */
export interface Limits extends AdmissionLimits {
  readonly url: string;
  readonly producerId: string;
}

/**
 * What a producer's methods ask of admission: the {@link AdmittedValues}
 * until its running code (a lazy chunk) has loaded, the `BatchBuilder` after.
 */
export interface Admission {
  readonly pendingCount: number;
  readonly pendingBytes: number;
  /** Messages acknowledged so far. */
  readonly settledCount: number;
  /** Sealed batches not yet acknowledged. */
  readonly sealedCount: number;
  add(value: unknown, throwIfFull: boolean): boolean;
  mark(): () => number;
  frame(contentType: string): void;
  encode(value: unknown): Entry;
  end(final?: Entry | null): void;
  unsent(unsaved?: boolean): unknown[];
}

/**
 * A producer's values from the first append until they are written into a
 * batch body, and its counts: the first moments of the first producer,
 * while its running code (the `BatchBuilder` and all that sends, a lazy
 * chunk) loads, then in the builder while the stream's content type is
 * being learned. Each value is encoded on its own when it is appended (a bad
 * value is refused there, as later) and counted against the buffer limits;
 * the builder writes them, in order, once it runs and knows the framing.
 * Pure: no I/O, no timers.
 */
export class AdmittedValues implements Admission {
  /** Messages appended (the outbox's counted in once read). */
  appended = 0;
  /** Of those, the messages the outbox held (see `BatchBuilder.resume`). */
  resumed = 0;
  /** Bytes of the values appended (the builder's staged texts counted once encoded). */
  appendedBytes = 0;
  /** When the open batch (or the first waiting value) was appended. */
  openedAt = 0;
  /** Values not yet written, in order, from `written` on (not `shift()`ed: quadratic on a burst). */
  waiting: Entry[] = [];
  written = 0;
  /** How the producer ends, once asked to: `close`, or `closeStream()` with its last value (null for none). */
  declare ending: { readonly final: Entry | null | undefined } | undefined;
  contentType = '';
  declare framing: Framing | undefined;
  declare readonly max: Limits;
  declare readonly now: () => number;

  constructor(limits: AdmissionLimits, url: string, producerId: string, now: () => number) {
    this.max = { ...limits, url, producerId };
    this.now = now;
  }

  get pendingCount(): number {
    return this.appended;
  }

  get pendingBytes(): number {
    return this.appendedBytes;
  }

  get settledCount(): number {
    return 0;
  }

  get sealedCount(): number {
    return 0;
  }

  add(value: unknown, throwIfFull: boolean): boolean {
    return this.appended < this.max.maxBufferedMessages
      ? this.wait(value, throwIfFull, this.appended, this.appendedBytes)
      : this.full(throwIfFull, 'maxBufferedMessages', this.appended, this.appendedBytes);
  }

  /** The count of messages appended now, to wait for (the outbox's added once read: they go first). */
  mark(): () => number {
    const own = this.appended - this.resumed;
    return () => own + this.resumed;
  }

  /** Learns the content type: false when it was known (the builder writes what waited once it runs). */
  frame(contentType: string): boolean {
    if (this.framing) return false;
    this.contentType = contentType;
    this.framing = framingOf(contentType);
    return true;
  }

  /** A value encoded on its own, as `closeStream()`'s last value is (throws `InvalidArgumentError` for one that cannot be sent). */
  encode(value: unknown): Entry {
    const { framing, max } = this;
    const entry = encodeValue(value, framing, max.url);
    // Never refused for room in the buffer, but it must fit a request.
    refuseTooLarge(max, entry.bytes, framing === 'json' ? entry.bytes + 2 : entry.bytes, value, false);
    return entry;
  }

  /** No more appends, `final` the last value to send (null: none); false when asked before. Counted beyond the buffer limits. */
  end(final?: Entry | null): boolean {
    if (this.ending) return false;
    this.ending = { final };
    if (final) {
      this.appended++;
      this.appendedBytes += final.bytes;
    }
    return true;
  }

  /** `values` (the builder's), then those not written yet and `closeStream()`'s last value unless `sealed`, in append order. */
  unsent(_unsaved?: boolean, values: unknown[] = [], sealed = false): unknown[] {
    return handBack(values, this.waiting.slice(this.written), sealed ? undefined : this.ending?.final);
  }

  /** Admits a value to wait, encoded on its own (with the framing, once known), to be written in order later; the producer's pending counts given. */
  wait(value: unknown, throwIfFull: boolean, pendingCount: number, pendingBytes: number): boolean {
    const { max, framing } = this;
    const entry = encodeValue(value, framing, max.url);
    if (entry.bytes === 0 && framing === 'bytes') throw emptyAppend(max.url);
    // A JSON text goes on a JSON stream only: bracketed. A raw string, quoted there, may yet grow (then it goes alone).
    refuseTooLarge(max, entry.bytes, entry.bytes + (entry.json ? 2 : 0), value);
    if (pendingBytes + entry.bytes > max.maxBufferedBytes)
      return this.full(throwIfFull, 'maxBufferedBytes', pendingCount, pendingBytes);
    if (this.waiting.length === this.written) this.openedAt = this.now();
    this.waiting.push(entry);
    this.appended++;
    this.appendedBytes += entry.bytes;
    return true;
  }

  /** At buffer limit `limit`: throws `ProducerBufferFullError`, or answers false when `throwIfFull` is false. */
  full(throwIfFull: boolean, limit: BufferLimit, pendingMessages: number, pendingBytes: number): false {
    if (!throwIfFull) return false;
    const { url, producerId } = this.max;
    throw new ProducerBufferFullError({ url, producerId, limit, max: this.max[limit], pendingMessages, pendingBytes });
  }
}

/**
 * Throws `ValueTooLargeError` for a value that could never be sent: alone (`framed`: in its body) it exceeds
 * `maxBatchBytes`, or (`buffered`) `maxBufferedBytes`.
 */
export function refuseTooLarge(max: Limits, bytes: number, framed: number, value: unknown, buffered = true): void {
  const { maxBatchBytes, maxBufferedBytes, url, producerId } = max;
  const limit =
    framed > maxBatchBytes
      ? ({ limit: 'maxBatchBytes', bytes: framed, max: maxBatchBytes } as const)
      : buffered && bytes > maxBufferedBytes
        ? ({ limit: 'maxBufferedBytes', bytes, max: maxBufferedBytes } as const)
        : undefined;
  if (limit) throw new ValueTooLargeError({ url, producerId, value, ...limit });
}

/** The error for an empty value on a byte stream. */
export function emptyAppend(url: string): InvalidArgumentError {
  return new InvalidArgumentError(
    'Cannot append empty data: the protocol rejects empty appends (use closeStream() to end a stream)',
    url,
  );
}
