import { Subject, type Observable } from 'rxjs';
import { InvalidArgumentError } from '../errors/client-errors.js';
import { framingOf, type Framing } from '../protocol/content-type.js';
import { batchValues, handBack } from './batch-values.js';
import { BodyWriter } from './body-writer.js';
import { dataBytes, encodeValue, entryData, valueData, type Entry } from './encode.js';
import { PendingBatches, type Batch, type SealedContent } from './pending-batches.js';
import { ProducerBufferFullError, ValueTooLargeError, type BufferLimit } from './producer-errors.js';

export type { Batch } from './pending-batches.js';

/** What the builder enforces. */
export interface BatchBuilderLimits {
  readonly maxBatchItems: number;
  readonly maxBatchBytes: number;
  readonly maxBufferedMessages: number;
  readonly maxBufferedBytes: number;
}

/**
 * The producer's open batch and its accounting. It admits each appended
 * value (or refuses it: invalid, too large, buffer full), writes it into
 * the body of the batch it will travel in (see {@link BodyWriter}: texts
 * wait in groups and are encoded together, budgets stay exact), seals that
 * batch when it holds `maxBatchItems` values, when the next value would
 * take its body, framing included, past `maxBatchBytes`, or when told to
 * ({@link seal}: linger, flush), and emits it on {@link batches$}. The
 * sealed batches wait in its {@link pending} until acknowledged. Pure: no
 * I/O, no timers.
 *
 * Until the stream's content type is known ({@link frame}), values wait,
 * each encoded on its own (so a bad value is still refused at append);
 * once it is, they are written in order and their batch is sealed at once:
 * they have waited long enough.
 */
export class BatchBuilder {
  /** Sealed batches until acknowledged: what is settled, and what would be handed back. */
  readonly pending = new PendingBatches();
  private readonly sealed = new Subject<Batch>();
  private readonly opened = new Subject<void>();
  /** Sealed batches, in order; completes after the last one ({@link end}). */
  readonly batches$: Observable<Batch> = this.sealed.asObservable();
  /** Emits when a batch gets its first value (the linger timer starts from there). */
  readonly opened$: Observable<void> = this.opened.asObservable();

  // Fields set later (or by the constructor) are `declare`d: a bundle then carries no definition of each (size).
  declare private framing: Framing | undefined;
  private contentType = '';
  declare private writer: BodyWriter | undefined;
  /** Values appended before the framing was known, in order, from `written` on (not `shift()`ed: quadratic on a burst). */
  private waiting: Entry[] = [];
  private written = 0;
  /** How the producer ends, once asked to: `close`, or `closeStream()` with its last value (null for none). */
  declare private ending: { readonly final: Entry | null | undefined } | undefined;
  private finished = false;
  /** When the open batch (or the first waiting value) was appended. */
  private openedAt = 0;
  /** Messages appended. */
  private appended = 0;
  /** Of those, the messages the outbox held: counted once it is read ({@link resume}), before this producer's. */
  private resumed = 0;
  /** Bytes of the values appended, staged texts not yet counted (see `BodyWriter`). */
  private appendedBytes = 0;

  /** Batches sealed while held: numbered, and emitted, after the outbox's. */
  private heldBack: SealedContent[] = [];
  declare private readonly max: Limits;
  declare private readonly url: string;
  declare private readonly now: () => number;
  declare private held: boolean;

  /** `held`: nothing ends, sealed batches wait unnumbered, until {@link resume} (delivery runs, an outbox's batches first). */
  constructor(limits: BatchBuilderLimits, url: string, producerId: string, now: () => number, held = false) {
    this.max = { ...limits, url, producerId };
    this.url = url;
    this.now = now;
    this.held = held;
  }

  /** Seals the open batch; the count of messages appended now, to wait for (the outbox's added once read: they go first). */
  mark(): () => number {
    const own = this.appended - this.resumed;
    this.seal();
    return () => own + this.resumed;
  }

  /** Messages appended and not yet acknowledged. */
  get pendingCount(): number {
    return this.appended - this.pending.settledCount;
  }

  /** Bytes appended and not yet acknowledged, staged texts counted exactly. */
  get pendingBytes(): number {
    return this.countedPendingBytes + (this.writer?.stagedBytes() ?? 0);
  }

  /** Whether a batch is open, with values waiting to be sealed. */
  get hasOpenBatch(): boolean {
    return (this.writer?.count ?? 0) > 0;
  }

  /** Pending bytes counted so far: staged texts, not yet encoded, are not among them. */
  private get countedPendingBytes(): number {
    return this.appendedBytes - this.pending.settledBytes;
  }

  /**
   * Admits one value: true once it is in the open batch (or waiting for the content type). At a buffer limit, throws
   * `ProducerBufferFullError`, or returns false when `throwIfFull` is false; a value that cannot be sent throws
   * `InvalidArgumentError` (`ValueTooLargeError` when it is too large). Nothing is kept of a refused value.
   */
  add(value: unknown, throwIfFull: boolean): boolean {
    const { maxBufferedMessages, maxBufferedBytes, maxBatchItems } = this.max;
    if (this.pendingCount >= maxBufferedMessages) return this.full(throwIfFull, 'maxBufferedMessages');
    const framing = this.framing;
    // Values wait while the content type is unknown, and while those that waited are written.
    if (framing === undefined || this.waiting.length > this.written) return this.wait(value, throwIfFull);
    const data = valueData(value, framing, this.url);
    if (data.length === 0 && framing === 'bytes') throw emptyAppend(this.url);
    const writer = (this.writer ??= new BodyWriter(framing));
    let closed: SealedContent | undefined;
    if (typeof data === 'string' && writer.stages(data) && this.mayStage(writer, data.length)) {
      writer.stage(data);
    } else {
      // Exact sizes needed: this value's, and the staged texts'.
      const bytes = dataBytes(data);
      refuseTooLarge(this.max, bytes, framedSize(framing, 1, bytes), value);
      this.appendedBytes += writer.settle();
      if (this.countedPendingBytes + bytes > maxBufferedBytes) return this.full(throwIfFull, 'maxBufferedBytes');
      // A value that would take the body past maxBatchBytes opens the next batch, sent once it is written.
      if (writer.count > 0 && overflows(this.max, this.framing, writer, bytes)) closed = this.close(false);
      this.appendedBytes += writer.write(data);
    }
    this.appended++;
    if (writer.count === 1) this.openedAt = this.now();
    if (closed) this.emit(closed);
    // Full: no next value, however small, would fit.
    if (writer.count >= maxBatchItems || overflows(this.max, this.framing, writer, 1)) this.seal();
    else if (writer.count === 1) this.opened.next();
    return true;
  }

  /** Seals the open batch, if it has values, and emits it. */
  seal(): void {
    if (this.hasOpenBatch) this.emit(this.close(false));
  }

  /**
   * The stream's content type is known: values that waited for it are written in order (in batches of the usual size)
   * and sent at once. Throws `InvalidArgumentError` if one of them cannot go on this stream.
   */
  frame(contentType: string): void {
    if (this.framing) return;
    this.contentType = contentType;
    this.framing = framingOf(contentType);
    this.writeWaiting();
  }

  /** Delivery runs: an outbox's batches (`saved`, none without one) go first, counted as appended, emitted as sealed; then this producer's, once framed. */
  resume(saved: readonly SealedContent[]): void {
    this.held = false;
    this.appended += this.resumed = saved.reduce((sum, { count }) => sum + count, 0);
    this.appendedBytes += saved.reduce((sum, { bytes }) => sum + bytes, 0);
    for (const content of [...saved, ...this.heldBack.splice(0)]) this.emit(content);
    this.writeWaiting();
  }

  /** Writes the values that waited, in order, and ends if asked to: once framed and not held. */
  private writeWaiting(): void {
    const { framing, ending, held } = this;
    if (held) return;
    if (framing !== undefined) {
      // One at a time off the queue: values appended meanwhile (by a subscriber to acknowledgements) queue behind.
      for (const waiting = this.waiting; this.written < waiting.length; this.written++)
        this.writeCounted(waiting[this.written], framing);
      this.waiting.length = this.written = 0;
      this.seal();
    }
    // Unframed, it can end only with nothing to write.
    if (ending && (framing !== undefined || (this.waiting.length === 0 && !ending.final))) this.finish(ending.final);
  }

  /** A value encoded on its own, as `closeStream()`'s last value is (throws `InvalidArgumentError` for one that cannot be sent). */
  encode(value: unknown): Entry {
    const entry = encodeValue(value, this.framing, this.url);
    // Never refused for room in the buffer, but it must fit a request.
    refuseTooLarge(this.max, entry.bytes, framedSize(this.framing, 1, entry.bytes), value, false);
    return entry;
  }

  /** No more appends: seals what is open, then `closeStream()`'s last batch (`final`; null: no value), and completes {@link batches$}. */
  end(final?: Entry | null): void {
    if (this.ending) return;
    this.ending = { final };
    if (final) {
      // Counted now, beyond the buffer limits: the last value is never refused for room.
      this.appended++;
      this.appendedBytes += final.bytes;
    }
    this.writeWaiting();
  }

  /**
   * Every value appended and not acknowledged (`unsaved`: and not saved in an outbox), in append order, as the
   * stream would have stored it (`batchValues`). For handing back once the producer stopped: takes the open body
   * (and numbers the batches held back).
   */
  unsent(unsaved = false): unknown[] {
    const { writer, framing } = this;
    // The sizes before the body: taking it starts a new list.
    const sizes = writer?.sizes;
    const open = writer && framing ? batchValues(writer.take(), framing, sizes) : [];
    for (const content of this.heldBack.splice(0)) this.pending.add(content);
    const values = this.pending.values(unsaved);
    for (const value of open) values.push(value);
    return handBack(values, this.waiting.slice(this.written), this.finished ? undefined : this.ending?.final);
  }

  private finish(final: Entry | null | undefined): void {
    if (this.finished) return;
    this.seal();
    this.finished = true;
    if (final !== undefined) {
      this.openedAt = this.now();
      if (final && this.framing) this.writeCounted(final, this.framing);
      this.emit(this.close(true));
    }
    this.sealed.complete();
  }

  /** Writes a value counted when it was appended (as encoded then), sealing the batch first if it would not fit. */
  private writeCounted(entry: Entry, framing: Framing): void {
    const data = entryData(entry, framing, this.url);
    const writer = (this.writer ??= new BodyWriter(framing));
    const bytes = dataBytes(data);
    if (writer.count > 0 && overflows(this.max, this.framing, writer, bytes)) this.seal();
    this.appendedBytes += writer.write(data) - entry.bytes;
    if (writer.count >= this.max.maxBatchItems) this.seal();
  }

  /** Takes the open body as a batch; the caller emits it. */
  private close(close: boolean): SealedContent {
    const writer = this.writer;
    if (writer) this.appendedBytes += writer.settle();
    const count = writer?.count ?? 0;
    const bytes = writer?.bytes ?? 0;
    const sizes = writer?.sizes;
    const body = writer && count > 0 ? writer.take() : undefined;
    return { count, bytes, close, body, sizes, contentType: this.contentType, openedAt: this.openedAt };
  }

  /** A sealed batch: numbered, kept in the pending batches and emitted; while held, kept aside. */
  private emit(content: SealedContent): void {
    if (this.held) this.heldBack.push(content);
    else this.sealed.next(this.pending.add(content));
  }

  /** Admits a value while the content type is unknown: encoded on its own, to be written once it is known. */
  private wait(value: unknown, throwIfFull: boolean): boolean {
    const entry = encodeValue(value, undefined, this.url);
    // A JSON text goes on a JSON stream only: bracketed. A raw string, quoted there, may yet grow (then it goes alone).
    refuseTooLarge(this.max, entry.bytes, entry.bytes + (entry.json ? 2 : 0), value);
    if (this.pendingBytes + entry.bytes > this.max.maxBufferedBytes) return this.full(throwIfFull, 'maxBufferedBytes');
    if (this.waiting.length === this.written) this.openedAt = this.now();
    this.waiting.push(entry);
    this.appended++;
    this.appendedBytes += entry.bytes;
    return true;
  }

  /**
   * Whether a text may wait to be encoded with its batch: even at three bytes per UTF-16 unit, with the texts already
   * waiting, it can neither take the body past `maxBatchBytes` nor overflow the buffer.
   */
  private mayStage(writer: BodyWriter, units: number): boolean {
    const most = (writer.stagedLength + units) * 3;
    if (overflows(this.max, this.framing, writer, most)) return false;
    return this.countedPendingBytes + most <= this.max.maxBufferedBytes;
  }

  /** At buffer limit `limit`: throws `ProducerBufferFullError`, or answers false when `throwIfFull` is false. */
  private full(throwIfFull: boolean, limit: BufferLimit): false {
    return throwIfFull && bufferFull(this.max, limit, this.pendingCount, this.pendingBytes);
  }
}

/** The builder's limits, and what its errors name. */
interface Limits extends BatchBuilderLimits {
  readonly url: string;
  readonly producerId: string;
}

/** Throws `ProducerBufferFullError`: buffer limit `limit` is reached. */
function bufferFull(max: Limits, limit: BufferLimit, pendingMessages: number, pendingBytes: number): never {
  const { url, producerId } = max;
  throw new ProducerBufferFullError({ url, producerId, limit, max: max[limit], pendingMessages, pendingBytes });
}

/**
 * Throws `ValueTooLargeError` for a value that could never be sent: alone (`framed`: in its body) it exceeds
 * `maxBatchBytes`, or (`buffered`) `maxBufferedBytes`.
 */
function refuseTooLarge(max: Limits, bytes: number, framed: number, value: unknown, buffered = true): void {
  const { maxBatchBytes, maxBufferedBytes, url, producerId } = max;
  const limit =
    framed > maxBatchBytes
      ? ({ limit: 'maxBatchBytes', bytes: framed, max: maxBatchBytes } as const)
      : buffered && bytes > maxBufferedBytes
        ? ({ limit: 'maxBufferedBytes', bytes, max: maxBufferedBytes } as const)
        : undefined;
  if (limit) throw new ValueTooLargeError({ url, producerId, value, ...limit });
}

/** Whether one more value of `bytes` would take `writer`'s open body past `maxBatchBytes`. */
function overflows(max: Limits, framing: Framing | undefined, writer: BodyWriter, bytes: number): boolean {
  return framedSize(framing, writer.count + 1, writer.bytes + bytes) > max.maxBatchBytes;
}

/** The size of a body of `count` values of `bytes` in all: a JSON array's brackets and commas added. */
function framedSize(framing: Framing | undefined, count: number, bytes: number): number {
  return framing === 'json' ? bytes + count + 1 : bytes;
}

function emptyAppend(url: string): InvalidArgumentError {
  return new InvalidArgumentError(
    'Cannot append empty data: the protocol rejects empty appends (use closeStream() to end a stream)',
    url,
  );
}
