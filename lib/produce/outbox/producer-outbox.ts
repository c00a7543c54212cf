/**
 * Durable storage for one idempotent producer: what it must keep so that
 * every value it saved is written to its stream exactly once, in order,
 * even if the process, or the page, dies before the server acknowledged it.
 * Pass one as `idempotentProducer(stream, id, { outbox })`; ready-made:
 * `memoryOutbox()` (tests), `fileOutbox(dir)` (`durable-streams-rx/node`).
 *
 * An outbox holds one producer at a time: its identity and position
 * ({@link OutboxPosition}) and every batch saved and not yet acknowledged
 * ({@link OutboxBatch}), each under the (epoch, seq) it is, or will be, sent
 * with. Exactly once across restarts rests on the server's deduplication by
 * (producer id, epoch, seq) (PROTOCOL.md 5.2.1): the producer saves a batch
 * under its (epoch, seq) before it sends it, and a producer that opens the
 * outbox later sends every batch it finds again under the same (epoch, seq):
 * what had arrived is answered as a duplicate, the rest is written.
 *
 * The contract, which `describeProducerOutbox()` (spec/support) checks for
 * any implementation:
 * - {@link open} takes the outbox: while a session is open, another `open()`
 *   (in this process, in another process or tab) rejects with an
 *   `OutboxLockedError`, until that session is closed (or its owner died:
 *   an implementation tells a dead owner's lock from a live one).
 * - {@link OutboxSession.write} applies a change atomically and durably: it
 *   resolves once the whole change would survive a crash of the process (or
 *   the page), and a crash before that leaves the outbox as it was before
 *   the change, never half-way. The producer calls it one change at a time,
 *   waiting for each.
 * - What one session wrote, the next one reads: {@link OutboxSession.contents}.
 *
 * Bodies are handed over as they are and must not be modified; an
 * implementation may keep references to them until they are removed.
 */
export interface ProducerOutbox {
  /**
   * Takes the outbox and reads what it holds. Rejects with an
   * `OutboxLockedError` while another session holds it, and with an
   * `OutboxError` when what it holds cannot be read (not an outbox,
   * damaged beyond a torn last write).
   */
  open(): Promise<OutboxSession>;
}

/** An open outbox: what it held when opened, and the way to change it. Held by one producer until closed. */
export interface OutboxSession {
  /** What the outbox held when this session opened it. */
  readonly contents: OutboxContents;
  /**
   * Applies `change` atomically and durably (see {@link ProducerOutbox}):
   * first `replaceAll` or `acknowledged`, then `put`, then `position`.
   * Rejects when it could not (the outbox is then as before the change).
   */
  write(change: OutboxChange): Promise<void>;
  /** Gives the outbox up: another session may open it. What it holds stays. A second call does nothing. */
  close(): Promise<void>;
}

/** What an outbox holds: nothing (`position` undefined) until a producer saved something in it. */
export interface OutboxContents {
  /** Whose outbox it is and where its numbering stands. */
  readonly position: OutboxPosition | undefined;
  /** Every batch saved and not acknowledged, in (epoch, seq) order. */
  readonly batches: readonly OutboxBatch[];
}

/** The producer an outbox belongs to, and where its numbering stands. */
export interface OutboxPosition {
  /** The stream's URL. */
  readonly url: string;
  /** The producer id (`Producer-Id`). */
  readonly producerId: string;
  /** The epoch the producer sends with. */
  readonly epoch: number;
  /** The seq the producer's next batch gets in that epoch (every seq below was used). */
  readonly nextSeq: number;
  /** The stream's content type, once known. */
  readonly contentType: string | undefined;
}

/**
 * One batch, saved under the (epoch, seq) it is sent with: its key. Batches
 * of one outbox share the epoch, and their seqs follow each other.
 */
export interface OutboxBatch {
  /** The epoch the batch is sent with. */
  readonly epoch: number;
  /** Its sequence number in that epoch. */
  readonly seq: number;
  /** Messages in the batch. */
  readonly count: number;
  /** The request body, as sent: a JSON array on a JSON stream, bytes otherwise; undefined for a close-only request. */
  readonly body: Uint8Array | undefined;
  /** On a byte stream, where each value ends in the body (a size, or the bitwise complement of a text's UTF-16 length). */
  readonly sizes: readonly number[] | undefined;
  /** Sent with `Stream-Closed: true`: the batch closes the stream. */
  readonly close: boolean;
  /** The body's content type. */
  readonly contentType: string;
}

/**
 * One change, applied atomically. In this order:
 * - `replaceAll`: every batch is removed (`put` then holds them all, numbered
 *   anew: after an epoch switch, or a batch split for a body limit);
 * - `acknowledged`: every batch up to and including this (epoch, seq) is
 *   removed (the server acknowledged it, which proves the earlier ones);
 * - `put`: these batches are added, or replace the one of the same (epoch, seq);
 * - `position`: the producer's position is replaced.
 */
export interface OutboxChange {
  /** Removes every batch before `put` adds its own. */
  readonly replaceAll?: boolean;
  /** Removes every batch whose (epoch, seq) is at or before this one. */
  readonly acknowledged?: {
    /** The acknowledged batch's epoch. */
    readonly epoch: number;
    /** Its sequence number: it and every batch before it are removed. */
    readonly seq: number;
  };
  /** Adds these batches (or replaces those with the same (epoch, seq)). */
  readonly put?: readonly OutboxBatch[];
  /** The producer's position from now on. */
  readonly position?: OutboxPosition;
}

/** Whether batch key `a` comes before `b`: by epoch, then seq. */
export function isBefore(
  a: { readonly epoch: number; readonly seq: number },
  b: { readonly epoch: number; readonly seq: number },
): boolean {
  return a.epoch < b.epoch || (a.epoch === b.epoch && a.seq < b.seq);
}
