import type { ProducerLoan } from './producer-loan.js';

/** A sealed batch, numbered in append order: what delivery sends and acknowledges. */
export interface Batch {
  /**
   * 0, 1, 2… in append order; sequence numbers derive from it (they restart
   * with each epoch). Renumbered (by {@link PendingBatches.replace}) when a batch
   * before it is split or dropped: then nothing after it was sent yet.
   */
  ordinal: number;
  /** Messages in the batch, and their bytes (UTF-8; the framing's brackets and commas not counted). */
  readonly count: number;
  readonly bytes: number;
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
  /** In the producer's outbox: written there (set when it is), or read from it. */
  saved?: boolean;
}

/** A batch as it is sealed, before it is numbered. */
export type SealedContent = Omit<Batch, 'ordinal' | 'endCount' | 'endBytes'>;

/**
 * The sealed batches not yet acknowledged, in order, and what is settled.
 * The server takes seq n + 1 only after seq n, so an acknowledgement proves
 * its batch and every batch before it written: whatever comes before the
 * first batch still here is settled. A batch too large for the server is
 * replaced by its halves, or dropped (its value handed back), and those
 * after it renumbered. What is here when the producer gives up is handed
 * back ({@link values}).
 */
export class PendingBatches {
  private readonly waiting: Batch[] = [];
  private nextOrdinal = 0;
  /** Messages and bytes of every batch sealed so far. */
  private sealedCount = 0;
  private sealedBytes = 0;
  /** What it is lent (see `PRODUCER_LOAN`: it runs in the producer's lazy chunk). */
  declare private readonly lent: Pick<ProducerLoan, 'batchValues' | 'framingOf'>;

  constructor(lent: Pick<ProducerLoan, 'batchValues' | 'framingOf'>) {
    this.lent = lent;
  }

  /** Batches sealed and not yet acknowledged. */
  get size(): number {
    return this.waiting.length;
  }

  /** Messages settled: acknowledged, or dropped and handed back. */
  get settledCount(): number {
    const first = this.waiting.at(0);
    return first ? first.endCount - first.count : this.sealedCount;
  }

  /** Bytes of the messages settled. */
  get settledBytes(): number {
    const first = this.waiting.at(0);
    return first ? first.endBytes - first.bytes : this.sealedBytes;
  }

  /** The batches here from ordinal `ordinal` on, in order. */
  from(ordinal: number): Batch[] {
    return this.waiting.filter((batch) => batch.ordinal >= ordinal);
  }

  /** Numbers a batch just sealed and keeps it until it is acknowledged. */
  add(content: SealedContent): Batch {
    this.sealedCount += content.count;
    this.sealedBytes += content.bytes;
    const batch: Batch = {
      ...content,
      ordinal: this.nextOrdinal++,
      endCount: this.sealedCount,
      endBytes: this.sealedBytes,
    };
    this.waiting.push(batch);
    return batch;
  }

  /** `batch` was acknowledged: it and every batch before it are settled. */
  acknowledge(batch: Batch): void {
    const waiting = this.waiting;
    while (waiting.length > 0 && waiting[0].ordinal <= batch.ordinal) waiting.shift();
  }

  /**
   * Replaces `batch` by `parts` (its halves, or nothing: dropped; a
   * close-only request for `closeStream()`'s refused last value) and
   * renumbers the batches after it. Only while nothing after it was sent.
   */
  replace(batch: Batch, parts: readonly Batch[]): void {
    const waiting = this.waiting;
    const at = waiting.indexOf(batch);
    if (at < 0) return;
    const first = waiting[0].ordinal;
    waiting.splice(at, 1, ...parts);
    for (let index = at; index < waiting.length; index++) waiting[index].ordinal = first + index;
    this.nextOrdinal = first + waiting.length;
  }

  /** The values of the batches here (`unsaved`: of those not saved in an outbox), in order, as the stream would have stored them. */
  values(unsaved = false): unknown[] {
    const values: unknown[] = [];
    for (const { body, contentType, sizes, saved } of this.waiting)
      if (!(unsaved && saved))
        for (const value of this.lent.batchValues(body, this.lent.framingOf(contentType), sizes)) values.push(value);
    return values;
  }
}
