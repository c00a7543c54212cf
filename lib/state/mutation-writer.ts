import { firstValueFrom, Subscription } from 'rxjs';
import type { DurableStreamError } from '../errors/durable-stream-error.js';
import type { DurableStream } from '../http/stream-handle.js';
import { idempotentProducer } from '../produce/idempotent-producer-of.js';
import type { IdempotentProducer } from '../produce/idempotent-producer.js';
import { discardOutbox } from '../produce/outbox/discard-outbox.js';
import { OutboxError, OutboxLockedError } from '../produce/outbox/outbox-errors.js';
import type { ProducerOutbox } from '../produce/outbox/producer-outbox.js';
import { ProducerClosedError, ValueTooLargeError } from '../produce/producer-errors.js';
import type { ProducerOptions } from '../produce/producer-options.js';
import type { ChangeMessage } from './messages.js';
import type { SavedMutations } from './saved-mutations.js';
import { newTxid } from './txid.js';
import { whenReleased } from './when-released.js';

/** Options of the producer a state store writes its mutations with (its outbox is the store's `outbox` option). */
export interface StateProducerOptions extends Omit<ProducerOptions, 'contentType' | 'outbox'> {
  /** The producer's id; default: a random one. A producer that stopped is replaced by one with a new, random id. */
  readonly producerId?: string;
}

/**
 * Told how each write ended: delivered (no error), or failed; `inOutbox`: it
 * failed here, but stays in the outbox for whoever takes it to deliver.
 */
export type WriteReport = (txid: string, error?: unknown, inOutbox?: boolean) => void;

/**
 * Writes each mutation as one append through an idempotent producer (a
 * retried request is never stored twice) and reports its outcome: a flush
 * per mutation seals its messages into a request of their own and tells when
 * the server acknowledged them. A producer that stops (a refused write, a
 * delivery timeout) fails what it held and is replaced at the next write;
 * with an outbox, what it held is taken out of the outbox first (it was
 * reported failed), so that the replacement, under a new id, can take the
 * outbox. Mutations the outbox held at start-up are reported too: delivered
 * once their last message is acknowledged, failed if the producer stops first.
 * A producer that stops because it could not take or write the outbox leaves
 * it as it is: the restored mutations, and those saved, are reported still
 * in it.
 */
export class MutationWriter {
  private producer: IdempotentProducer<ChangeMessage> | undefined;
  private made = 0;
  private readonly subscriptions = new Subscription();
  /** With an outbox: settles once the store has read it, with the producer id its batches were saved under. */
  private waiting: Promise<void> | undefined;
  private savedId: string | undefined;
  /** Mutations the outbox held at start-up, not yet acknowledged: the first producer delivers them. */
  private restored: SavedMutations['mutations'] = [];
  /** Messages this store appended to the current producer: what else it holds unacknowledged is the outbox's. */
  private appended = { count: 0 };

  constructor(
    private readonly stream: DurableStream,
    private readonly options: StateProducerOptions & Pick<ProducerOptions, 'outbox'>,
    private readonly report: WriteReport,
  ) {}

  /**
   * Holds writes until the outbox was read (`saved`: whose batches it holds,
   * and the mutations in them), then starts the producer at once, so that it
   * delivers them; their outcomes are reported as those of written ones.
   */
  resumeAfter(saved: Promise<SavedMutations>): void {
    // A failed read of the outbox fails the read, and the writes held behind it.
    this.holdWrites(
      saved.then(({ producerId, mutations }) => {
        this.savedId = producerId;
        this.restored = mutations;
      }),
      () => this.current(),
    );
  }

  write(txid: string, messages: readonly ChangeMessage[]): void {
    if (this.waiting)
      return void this.waiting.then(
        () => this.write(txid, messages),
        (error: unknown) => this.report(txid, error),
      );
    const producer = this.current();
    const appended = this.appended;
    try {
      // Only a full buffer or an oversized value throws here: the mutation fails; messages appended before it may still be written.
      for (const message of messages) {
        producer.append(message);
        appended.count++;
      }
    } catch (error) {
      this.report(txid, error);
      return;
    }
    // Saved in the outbox before the producer stopped on it (a later save failed): it stays there, as a restored one.
    let saved = false;
    if (this.options.outbox)
      this.subscriptions.add(producer.saved().subscribe({ complete: () => (saved = true), error: () => undefined }));
    this.subscriptions.add(
      producer.flush().subscribe({
        next: () => this.report(txid),
        error: (error: unknown) => this.report(txid, error, saved && leftInOutbox(error)),
      }),
    );
  }

  /** Delivers what was written, then stops the producer; with an outbox, stops it once what was written is saved there. */
  close(): void {
    // Writes held until the outbox was read go first: they are then saved before the producer stops.
    if (this.waiting)
      return void this.waiting.then(
        () => this.close(),
        () => undefined,
      );
    const producer = this.producer;
    this.producer = undefined;
    if (!producer) return;
    if (!this.options.outbox) {
      this.subscriptions.add(producer.finish().subscribe({ error: () => undefined }));
      return;
    }
    // The next store on the outbox delivers the rest (an unreachable server must not hold the outbox).
    this.subscriptions.add(
      producer.saved().subscribe({ complete: () => producer.abort(), error: () => producer.abort() }),
    );
  }

  /** Writes wait until `until` settles; then `then` runs (unless other writes held them meanwhile). */
  private holdWrites(until: Promise<void>, then: () => void = () => undefined): void {
    const waiting = until.then(
      () => {
        if (this.waiting !== waiting) return;
        this.waiting = undefined;
        then();
      },
      (error: unknown) => {
        // The writes held fail with it; later ones try again.
        if (this.waiting === waiting) this.waiting = undefined;
        throw error;
      },
    );
    this.waiting = waiting;
    waiting.catch(() => undefined);
  }

  private current(): IdempotentProducer<ChangeMessage> {
    if (this.producer) return this.producer;
    const { producerId, ...options } = this.options;
    // A replacement never takes the given id: the server knows that one's sequence, which a new producer restarts.
    const first = this.made++ === 0;
    const id = (first && this.savedId) || (first && producerId) || `state-${newTxid()}`;
    const producer = idempotentProducer<ChangeMessage>(this.stream, id, {
      ...options,
      contentType: 'application/json',
    });
    const restored = first ? this.restored : [];
    this.restored = [];
    const left = new Set(restored);
    const appended = (this.appended = { count: 0 });
    // Not by (epoch, seq): a claimed epoch or a split batch renumbers the outbox's batches. The producer
    // settles messages in order, the outbox's first: those unacknowledged beyond this store's are the outbox's last.
    if (left.size > 0)
      this.subscriptions.add(
        producer.acks$.subscribe(() => {
          const restoredPending = producer.pendingCount - appended.count;
          for (const mutation of left)
            if (mutation.followedBy >= restoredPending) {
              left.delete(mutation);
              this.report(mutation.txid);
            }
        }),
      );
    let last: DurableStreamError | undefined;
    this.subscriptions.add(
      producer.errors$.subscribe({
        next: (error) => {
          last = error;
          // A message the server refused alone (413): its mutation fails, the producer goes on.
          if (error instanceof ValueTooLargeError) {
            const txid = (error.value as Partial<ChangeMessage> | undefined)?.headers?.txid;
            if (txid === undefined) return;
            // Dropped, it counts as settled: a restored mutation it belongs to is not then reported delivered.
            for (const mutation of left) if (mutation.txid === txid) left.delete(mutation);
            this.report(txid, error);
          }
        },
        complete: () => {
          // Stopped by close() (it let the producer go first), or by the error it reported last.
          if (this.producer !== producer) return;
          this.producer = undefined;
          const failure = last ?? new ProducerClosedError({ url: producer.url, producerId: id, reason: 'failed' });
          // What the outbox holds then stays there, for whoever takes it next to deliver.
          const kept = leftInOutbox(last);
          for (const { txid } of left) this.report(txid, failure, kept);
          left.clear();
          const { outbox } = this.options;
          if (outbox && !kept) this.empty(outbox);
        },
      }),
    );
    return (this.producer = producer);
  }

  /**
   * Takes out of `outbox` what a producer that stopped left there: its
   * mutations were reported failed, and its batches would make the next
   * producer (another id) refuse the outbox. Writes wait meanwhile; the
   * stopped producer's session may still be closing.
   */
  private empty(outbox: ProducerOutbox): void {
    this.holdWrites(
      whenReleased(
        () => firstValueFrom(discardOutbox(outbox)),
        () => false,
      ).then(() => undefined),
    );
  }
}

/** Whether a producer stopped by `error` leaves what its outbox holds there (it could not take or write it). */
function leftInOutbox(error: unknown): boolean {
  return error instanceof OutboxLockedError || error instanceof OutboxError;
}
