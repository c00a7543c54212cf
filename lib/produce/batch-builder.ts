import { Subject, type Observable } from 'rxjs';
import type { Framing } from '../protocol/content-type.js';
import type { Admission, AdmittedValues, Limits } from './admitted-values.js';
import { BodyWriter } from './body-writer.js';
import type { Entry } from './encode.js';
import { PendingBatches, type Batch, type SealedContent } from './pending-batches.js';
import type { ProducerLoan } from './producer-loan.js';

export type { Batch } from './pending-batches.js';

/** What the builder is lent (see `PRODUCER_LOAN`: it runs in the producer's lazy chunk). */
export type BuilderLoan = Pick<
  ProducerLoan,
  | 'batchValues'
  | 'dataBytes'
  | 'emptyAppend'
  | 'entryData'
  | 'framingOf'
  | 'refuseTooLarge'
  | 'utf8Length'
  | 'valueData'
>;

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
 * It takes over the producer's {@link AdmittedValues} (values appended
 * while this code loaded wait there, encoded one by one) and keeps its
 * counts there. Until the stream's content type is known ({@link frame}),
 * values wait there too (so a bad value is still refused at append); once
 * it is, they are written in order and their batch is sealed at once: they
 * have waited long enough.
 */
export class BatchBuilder implements Admission {
  /** Sealed batches until acknowledged: what is settled, and what would be handed back. */
  declare readonly pending: PendingBatches;
  private readonly sealed = new Subject<Batch>();
  private readonly opened = new Subject<void>();
  /** Sealed batches, in order; completes after the last one ({@link end}). */
  readonly batches$: Observable<Batch> = this.sealed.asObservable();
  /** Emits when a batch gets its first value (the linger timer starts from there). */
  readonly opened$: Observable<void> = this.opened.asObservable();

  // Fields set later (or by the constructor) are `declare`d: a bundle then carries no definition of each (size).
  declare private writer: BodyWriter | undefined;
  private finished = false;
  /** Batches sealed while held: numbered, and emitted, after the outbox's. */
  private heldBack: SealedContent[] = [];
  declare private readonly values: AdmittedValues;
  declare private readonly max: Limits;
  declare private readonly lent: BuilderLoan;
  declare private held: boolean;

  /** `held`: nothing ends, sealed batches wait unnumbered, until {@link resume} (delivery runs, an outbox's batches first). */
  constructor(values: AdmittedValues, lent: BuilderLoan, held = false) {
    this.values = values;
    this.max = values.max;
    this.lent = lent;
    this.held = held;
    this.pending = new PendingBatches(lent);
  }

  /** Seals the open batch; the count of messages appended now, to wait for (the outbox's added once read: they go first). */
  mark(): () => number {
    const count = this.values.mark();
    this.seal();
    return count;
  }

  /** Messages appended and not yet acknowledged. */
  get pendingCount(): number {
    return this.values.appended - this.pending.settledCount;
  }

  /** Bytes appended and not yet acknowledged, staged texts counted exactly. */
  get pendingBytes(): number {
    return this.countedPendingBytes + (this.writer?.stagedBytes() ?? 0);
  }

  get settledCount(): number {
    return this.pending.settledCount;
  }

  get sealedCount(): number {
    return this.pending.size;
  }

  /** Whether a batch is open, with values waiting to be sealed. */
  get hasOpenBatch(): boolean {
    return (this.writer?.count ?? 0) > 0;
  }

  /** Pending bytes counted so far: staged texts, not yet encoded, are not among them. */
  private get countedPendingBytes(): number {
    return this.values.appendedBytes - this.pending.settledBytes;
  }

  /**
   * Admits one value: true once it is in the open batch (or waiting for the content type). At a buffer limit, throws
   * `ProducerBufferFullError`, or returns false when `throwIfFull` is false; a value that cannot be sent throws
   * `InvalidArgumentError` (`ValueTooLargeError` when it is too large). Nothing is kept of a refused value.
   */
  add(value: unknown, throwIfFull: boolean): boolean {
    const { max, values, lent } = this;
    const { maxBufferedBytes, maxBatchItems } = max;
    if (this.pendingCount >= max.maxBufferedMessages)
      return values.full(throwIfFull, 'maxBufferedMessages', this.pendingCount, this.pendingBytes);
    const framing = values.framing;
    // Values wait while the content type is unknown, and while those that waited are written.
    if (framing === undefined || values.waiting.length > values.written)
      return values.wait(value, throwIfFull, this.pendingCount, this.pendingBytes);
    const data = lent.valueData(value, framing, max.url);
    if (data.length === 0 && framing === 'bytes') throw lent.emptyAppend(max.url);
    const writer = this.writerFor(framing);
    let closed: SealedContent | undefined;
    if (typeof data === 'string' && writer.stages(data) && this.mayStage(writer, data.length)) {
      writer.stage(data);
    } else {
      // Exact sizes needed: this value's, and the staged texts'.
      const bytes = lent.dataBytes(data);
      lent.refuseTooLarge(max, bytes, framedSize(framing, 1, bytes), value);
      values.appendedBytes += writer.settle();
      if (this.countedPendingBytes + bytes > maxBufferedBytes)
        return values.full(throwIfFull, 'maxBufferedBytes', this.pendingCount, this.pendingBytes);
      // A value that would take the body past maxBatchBytes opens the next batch, sent once it is written.
      if (writer.count > 0 && overflows(max, framing, writer, bytes)) closed = this.close(false);
      values.appendedBytes += writer.write(data);
    }
    values.appended++;
    if (writer.count === 1) values.openedAt = values.now();
    if (closed) this.emit(closed);
    // Full: no next value, however small, would fit.
    if (writer.count >= maxBatchItems || overflows(max, framing, writer, 1)) this.seal();
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
    if (this.values.frame(contentType)) this.writeWaiting();
  }

  /** Delivery runs: an outbox's batches (`saved`, none without one) go first, counted as appended, emitted as sealed; then this producer's, once framed. */
  resume(saved: readonly SealedContent[]): void {
    const { values } = this;
    this.held = false;
    values.appended += values.resumed = saved.reduce((sum, { count }) => sum + count, 0);
    values.appendedBytes += saved.reduce((sum, { bytes }) => sum + bytes, 0);
    for (const content of [...saved, ...this.heldBack.splice(0)]) this.emit(content);
    this.writeWaiting();
  }

  /** Writes the values that waited, in order, and ends if asked to: once framed and not held. */
  private writeWaiting(): void {
    const { values, held } = this;
    const { framing, ending } = values;
    if (held) return;
    if (framing !== undefined) {
      // One at a time off the queue: values appended meanwhile (by a subscriber to acknowledgements) queue behind.
      for (const waiting = values.waiting; values.written < waiting.length; values.written++)
        this.writeCounted(waiting[values.written], framing);
      values.waiting.length = values.written = 0;
      this.seal();
    }
    // Unframed, it can end only with nothing to write.
    if (ending && (framing !== undefined || (values.waiting.length === 0 && !ending.final))) this.finish(ending.final);
  }

  /** A value encoded on its own, as `closeStream()`'s last value is (throws `InvalidArgumentError` for one that cannot be sent). */
  encode(value: unknown): Entry {
    return this.values.encode(value);
  }

  /** No more appends: seals what is open, then `closeStream()`'s last batch (`final`; null: no value), and completes {@link batches$}. */
  end(final?: Entry | null): void {
    if (this.values.end(final)) this.writeWaiting();
  }

  /**
   * Every value appended and not acknowledged (`unsaved`: and not saved in an outbox), in append order, as the
   * stream would have stored it (`batchValues`). For handing back once the producer stopped: takes the open body
   * (and numbers the batches held back).
   */
  unsent(unsaved = false): unknown[] {
    const { writer, lent } = this;
    const framing = this.values.framing;
    // The sizes before the body: taking it starts a new list.
    const sizes = writer?.sizes;
    const open = writer && framing ? lent.batchValues(writer.take(), framing, sizes) : [];
    for (const content of this.heldBack.splice(0)) this.pending.add(content);
    const values = this.pending.values(unsaved);
    for (const value of open) values.push(value);
    return this.values.unsent(unsaved, values, this.finished);
  }

  private finish(final: Entry | null | undefined): void {
    if (this.finished) return;
    this.seal();
    this.finished = true;
    const { values } = this;
    if (final !== undefined) {
      values.openedAt = values.now();
      if (final && values.framing) this.writeCounted(final, values.framing);
      this.emit(this.close(true));
    }
    this.sealed.complete();
  }

  private writerFor(framing: Framing): BodyWriter {
    return (this.writer ??= new BodyWriter(framing, this.lent.utf8Length));
  }

  /** Writes a value counted when it was appended (as encoded then), sealing the batch first if it would not fit. */
  private writeCounted(entry: Entry, framing: Framing): void {
    const { max, lent } = this;
    const data = lent.entryData(entry, framing, max.url);
    const writer = this.writerFor(framing);
    const bytes = lent.dataBytes(data);
    if (writer.count > 0 && overflows(max, framing, writer, bytes)) this.seal();
    this.values.appendedBytes += writer.write(data) - entry.bytes;
    if (writer.count >= max.maxBatchItems) this.seal();
  }

  /** Takes the open body as a batch; the caller emits it. */
  private close(close: boolean): SealedContent {
    const { writer, values } = this;
    if (writer) values.appendedBytes += writer.settle();
    const count = writer?.count ?? 0;
    const bytes = writer?.bytes ?? 0;
    const sizes = writer?.sizes;
    const body = writer && count > 0 ? writer.take() : undefined;
    return { count, bytes, close, body, sizes, contentType: values.contentType, openedAt: values.openedAt };
  }

  /** A sealed batch: numbered, kept in the pending batches and emitted; while held, kept aside. */
  private emit(content: SealedContent): void {
    if (this.held) this.heldBack.push(content);
    else this.sealed.next(this.pending.add(content));
  }

  /**
   * Whether a text may wait to be encoded with its batch: even at three bytes per UTF-16 unit, with the texts already
   * waiting, it can neither take the body past `maxBatchBytes` nor overflow the buffer.
   */
  private mayStage(writer: BodyWriter, units: number): boolean {
    const most = (writer.stagedLength + units) * 3;
    if (overflows(this.max, this.values.framing, writer, most)) return false;
    return this.countedPendingBytes + most <= this.max.maxBufferedBytes;
  }
}

/** Whether one more value of `bytes` would take `writer`'s open body past `maxBatchBytes`. */
function overflows(max: Limits, framing: Framing | undefined, writer: BodyWriter, bytes: number): boolean {
  return framedSize(framing, writer.count + 1, writer.bytes + bytes) > max.maxBatchBytes;
}

/** The size of a body of `count` values of `bytes` in all: a JSON array's brackets and commas added. */
function framedSize(framing: Framing | undefined, count: number, bytes: number): number {
  return framing === 'json' ? bytes + count + 1 : bytes;
}
