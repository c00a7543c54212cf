import { Subject, type Observable } from 'rxjs';
import { InvalidArgumentError } from '../errors/client-errors.js';
import { framingOf, type Framing } from '../protocol/content-type.js';
import { handBack } from './batch-values.js';
import { BodyWriter } from './body-writer.js';
import { dataBytes, encodeValue, entryData, valueData, type Entry } from './encode.js';
import { ProducerBufferFullError, type BufferLimit } from './producer-errors.js';

/** A sealed batch, numbered in append order: what delivery sends and acknowledges. */
export interface Batch {
  /** 0, 1, 2… in append order. Sequence numbers derive from it (they restart with each epoch). */
  readonly ordinal: number;
  /** Messages in the batch. */
  readonly count: number;
  /** Messages sealed up to and including this batch, and their bytes: its acknowledgement settles those. */
  readonly endCount: number;
  readonly endBytes: number;
  /** Sent with `Stream-Closed: true`: the stream closes with this batch (`closeStream()`). */
  readonly close: boolean;
  /** The request body; undefined for a close-only request. */
  readonly body: Uint8Array | undefined;
  /** On a byte stream, where each value ends in the body (see `BodyWriter.sizes`). */
  readonly sizes: readonly number[] | undefined;
  readonly contentType: string;
  /** When its first value was appended (scheduler time): its delivery timeout counts from there. */
  readonly openedAt: number;
}

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
 * batch when it reaches `maxBatchItems` or `maxBatchBytes` or when told to
 * ({@link seal}: linger, flush), and emits it on {@link batches$}. Pure: no
 * I/O, no timers.
 *
 * Until the stream's content type is known ({@link frame}), values wait,
 * each encoded on its own (so a bad value is still refused at append);
 * once it is, they are written in order and their batch is sealed at once:
 * they have waited long enough. Sealed batches are kept until acknowledged,
 * so that what was not can be handed back ({@link unsent}).
 */
export class BatchBuilder {
  private readonly sealed = new Subject<Batch>();
  private readonly opened = new Subject<void>();
  /** Sealed batches, in order; completes after the last one ({@link end}). */
  readonly batches$: Observable<Batch> = this.sealed.asObservable();
  /** Emits when a batch gets its first value (the linger timer starts from there). */
  readonly opened$: Observable<void> = this.opened.asObservable();

  private framing: Framing | undefined;
  private contentType = '';
  private writer: BodyWriter | undefined;
  /** Values appended before the framing was known, in order. */
  private waiting: Entry[] = [];
  /** How the producer ends, once asked to: `close`, or `closeStream()` with its last value (null for none). */
  private ending: { readonly final: Entry | null | undefined } | undefined;
  private finished = false;
  /** Sealed batches not yet acknowledged, in order. */
  private readonly unacknowledged: Batch[] = [];
  /** When the open batch (or the first waiting value) was appended. */
  private openedAt = 0;
  private ordinal = 0;
  private appended = 0;
  /** Bytes of the values appended, staged texts not yet counted (see `BodyWriter`). */
  private appendedBytes = 0;
  private sealedCount = 0;
  /** Bytes of the batches sealed so far: the running total each batch's acknowledgement settles. */
  private sealedBytes = 0;
  private acknowledged = 0;
  private acknowledgedBytes = 0;
  private acknowledgedBatchCount = 0;

  constructor(
    private readonly limits: BatchBuilderLimits,
    private readonly url: string,
    private readonly producerId: string,
    private readonly now: () => number,
  ) {}

  /** Messages appended so far. */
  get appendedCount(): number {
    return this.appended;
  }

  /** Messages acknowledged so far (an acknowledgement covers every batch before it). */
  get acknowledgedCount(): number {
    return this.acknowledged;
  }

  /** Batches sealed so far, and acknowledged so far ({@link acknowledge}). */
  get sealedBatches(): number {
    return this.ordinal;
  }

  get acknowledgedBatches(): number {
    return this.acknowledgedBatchCount;
  }

  /** Messages appended and not yet acknowledged. */
  get pendingCount(): number {
    return this.appended - this.acknowledged;
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
    return this.appendedBytes - this.acknowledgedBytes;
  }

  /**
   * Admits one value: true once it is in the open batch (or waiting for the
   * content type). At a buffer limit, throws `ProducerBufferFullError`, or
   * returns false when `throwIfFull` is false; a value that cannot be sent
   * throws `InvalidArgumentError`. Nothing is kept of a refused value.
   */
  add(value: unknown, throwIfFull: boolean): boolean {
    const { maxBufferedMessages, maxBufferedBytes, maxBatchItems, maxBatchBytes } = this.limits;
    if (this.appended - this.acknowledged >= maxBufferedMessages) return this.full(throwIfFull, 'maxBufferedMessages', maxBufferedMessages);
    const framing = this.framing;
    if (framing === undefined) return this.wait(value, throwIfFull);
    const data = valueData(value, framing, this.url);
    if (data.length === 0 && framing === 'bytes') throw emptyAppend(this.url);
    // Sized exactly only when it might be too large: a text is at most 3 bytes per UTF-16 unit.
    if ((typeof data === 'string' ? data.length * 3 : data.byteLength) > maxBufferedBytes) {
      const bytes = dataBytes(data);
      if (bytes > maxBufferedBytes) throw tooLarge(bytes, maxBufferedBytes, this.url);
    }
    const writer = (this.writer ??= new BodyWriter(framing));
    if (typeof data === 'string' && writer.stages(data) && this.mayStage(writer, data.length)) {
      writer.stage(data);
    } else {
      // Exact sizes needed: the staged texts are counted, then this value.
      this.appendedBytes += writer.settle();
      const bytes = writer.write(data);
      if (this.countedPendingBytes + bytes > maxBufferedBytes) {
        writer.undo();
        return this.full(throwIfFull, 'maxBufferedBytes', maxBufferedBytes);
      }
      this.appendedBytes += bytes;
    }
    this.appended++;
    // A batch closes once it reaches a budget, the value reaching it included.
    if (writer.count === 1) this.openedAt = this.now();
    if (writer.count >= maxBatchItems || writer.bytes >= maxBatchBytes) this.seal();
    else if (writer.count === 1) this.opened.next();
    return true;
  }

  /** Seals the open batch, if it has values, and emits it. */
  seal(): void {
    if (this.hasOpenBatch) this.emit(false);
  }

  /**
   * The stream's content type is known: values that waited for it are
   * written in order (in batches of the usual size) and sent at once.
   * Throws `InvalidArgumentError` if one of them cannot go on this stream.
   */
  frame(contentType: string): void {
    if (this.framing) return;
    this.contentType = contentType;
    const framing = (this.framing = framingOf(contentType));
    const waiting = this.waiting;
    this.waiting = [];
    for (const entry of waiting) {
      const writer = (this.writer ??= new BodyWriter(framing));
      // Counted at append as encoded alone; now as this stream frames it (a raw string is quoted on a JSON stream).
      this.appendedBytes += writer.write(entryData(entry, framing, this.url)) - entry.bytes;
      if (writer.count >= this.limits.maxBatchItems || writer.bytes >= this.limits.maxBatchBytes) this.seal();
    }
    this.seal();
    if (this.ending) this.finish(this.ending.final);
  }

  /** A value encoded on its own, as `closeStream()`'s last value is (throws `InvalidArgumentError` for one that cannot be sent). */
  encode(value: unknown): Entry {
    return encodeValue(value, this.framing, this.url);
  }

  /**
   * No more appends: seals what is open, then (with `final` given, null for
   * no value) `closeStream()`'s last batch, and completes {@link batches$};
   * once the content type is known, if values still wait for it.
   */
  end(final?: Entry | null): void {
    if (this.ending) return;
    this.ending = { final };
    if (final) {
      // Counted now, beyond the buffer limits: the last value is never refused for room.
      this.appended++;
      this.appendedBytes += final.bytes;
    }
    if (this.framing !== undefined || (this.waiting.length === 0 && !final)) this.finish(final);
  }

  /** Settles what an acknowledgement of `batch` proves written: it and every batch before it. Told once per batch. */
  acknowledge(batch: Batch): void {
    this.acknowledgedBatchCount++;
    if (batch.endCount <= this.acknowledged) return;
    this.acknowledged = batch.endCount;
    this.acknowledgedBytes = batch.endBytes;
    const unacknowledged = this.unacknowledged;
    while (unacknowledged.length > 0 && unacknowledged[0]!.endCount <= this.acknowledged) unacknowledged.shift();
  }

  /**
   * Every value appended and not acknowledged, in append order, as the
   * stream would have stored it (see `batchValues`): the sealed batches',
   * the open batch's, those waiting for the content type, closeStream()'s
   * last one. For handing back once the producer has stopped: it takes the
   * open batch's body.
   */
  unsent(): unknown[] {
    // The sizes before the body: taking it starts a new list.
    const open = this.writer && this.framing ? { framing: this.framing, sizes: this.writer.sizes, body: this.writer.take() } : undefined;
    return handBack(this.unacknowledged, open, this.waiting, this.finished ? undefined : this.ending?.final);
  }

  private finish(final: Entry | null | undefined): void {
    this.seal();
    this.finished = true;
    if (final !== undefined) {
      this.openedAt = this.now();
      if (final) {
        const writer = (this.writer ??= new BodyWriter(this.framing!));
        this.appendedBytes += writer.write(entryData(final, this.framing!, this.url)) - final.bytes;
      }
      this.emit(true);
    }
    this.sealed.complete();
  }

  private emit(close: boolean): void {
    const writer = this.writer;
    if (writer) this.appendedBytes += writer.settle();
    const count = writer?.count ?? 0;
    this.sealedBytes += writer?.bytes ?? 0;
    this.sealedCount += count;
    const sizes = writer?.sizes;
    const body = count > 0 ? writer!.take() : undefined;
    const { ordinal, sealedCount: endCount, sealedBytes: endBytes, contentType, openedAt } = this;
    const batch: Batch = { ordinal, count, endCount, endBytes, close, body, sizes, contentType, openedAt };
    // Numbered, counted and kept before it leaves: downstream may append synchronously.
    this.ordinal++;
    this.unacknowledged.push(batch);
    this.sealed.next(batch);
  }

  /** Admits a value while the content type is unknown: encoded on its own, to be written once it is known. */
  private wait(value: unknown, throwIfFull: boolean): boolean {
    const { maxBufferedBytes } = this.limits;
    const entry = encodeValue(value, undefined, this.url);
    if (entry.bytes > maxBufferedBytes) throw tooLarge(entry.bytes, maxBufferedBytes, this.url);
    if (this.pendingBytes + entry.bytes > maxBufferedBytes) return this.full(throwIfFull, 'maxBufferedBytes', maxBufferedBytes);
    if (this.waiting.length === 0) this.openedAt = this.now();
    this.waiting.push(entry);
    this.appended++;
    this.appendedBytes += entry.bytes;
    return true;
  }

  /**
   * Whether a text may wait to be encoded with its batch: even at three
   * bytes per UTF-16 unit, with the texts already waiting, it can neither
   * close the batch by its byte budget nor overflow the buffer.
   */
  private mayStage(writer: BodyWriter, units: number): boolean {
    const most = (writer.stagedLength + units) * 3;
    return writer.bytes + most < this.limits.maxBatchBytes && this.countedPendingBytes + most <= this.limits.maxBufferedBytes;
  }

  private full(throwIfFull: boolean, limit: BufferLimit, max: number): false {
    if (!throwIfFull) return false;
    const { url, producerId, pendingCount: pendingMessages, pendingBytes } = this;
    throw new ProducerBufferFullError({ url, producerId, limit, max, pendingMessages, pendingBytes });
  }
}

function emptyAppend(url: string): InvalidArgumentError {
  return new InvalidArgumentError('Cannot append empty data: the protocol rejects empty appends (use closeStream() to end a stream)', url);
}

function tooLarge(bytes: number, maxBufferedBytes: number, url: string): InvalidArgumentError {
  return new InvalidArgumentError(`a value of ${bytes} bytes can never fit maxBufferedBytes (${maxBufferedBytes})`, url);
}
