import { Subscription } from 'rxjs';
import type { DurableStream } from '../http/stream-handle.js';
import { idempotentProducer } from '../produce/idempotent-producer-of.js';
import type { IdempotentProducer } from '../produce/idempotent-producer.js';
import { ValueTooLargeError } from '../produce/producer-errors.js';
import type { ProducerOptions } from '../produce/producer-options.js';
import type { ChangeMessage } from './messages.js';
import { newTxid } from './txid.js';

/** Options of the producer a state store writes its mutations with (its outbox is the store's `outbox` option). */
export interface StateProducerOptions extends Omit<ProducerOptions, 'contentType' | 'outbox'> {
  /** The producer's id; default: a random one. A producer that stopped is replaced by one with a new, random id. */
  readonly producerId?: string;
}

/** Told how each write ended: delivered (no error), or failed. */
export type WriteReport = (txid: string, error?: unknown) => void;

/**
 * Writes each mutation as one append through an idempotent producer (a
 * retried request is never stored twice) and reports its outcome: a flush
 * per mutation seals its messages into a request of their own and tells when
 * the server acknowledged them. A producer that stops (a refused write, a
 * delivery timeout) fails what it held and is replaced at the next write.
 */
export class MutationWriter {
  private producer: IdempotentProducer<ChangeMessage> | undefined;
  private made = 0;
  private readonly subscriptions = new Subscription();
  /** With an outbox: settles once the store has read it, with the producer id its batches were saved under. */
  private waiting: Promise<void> | undefined;
  private savedId: string | undefined;

  constructor(
    private readonly stream: DurableStream,
    private readonly options: StateProducerOptions & Pick<ProducerOptions, 'outbox'>,
    private readonly report: WriteReport,
  ) {}

  /**
   * Holds writes until the outbox was read (`producerId`: whose batches it
   * holds), then starts the producer at once, so that it delivers them.
   */
  resumeAfter(producerId: Promise<string | undefined>): void {
    const waiting = producerId.then((id) => {
      if (this.waiting !== waiting) return;
      this.waiting = undefined;
      this.savedId = id;
      this.current();
    });
    this.waiting = waiting;
    // A failed read of the outbox fails the read, and the writes held behind it.
    waiting.catch(() => undefined);
  }

  write(txid: string, messages: readonly ChangeMessage[]): void {
    if (this.waiting)
      return void this.waiting.then(
        () => this.write(txid, messages),
        (error: unknown) => this.report(txid, error),
      );
    const producer = this.current();
    try {
      // Only a full buffer or an oversized value throws here: the mutation fails; messages appended before it may still be written.
      for (const message of messages) producer.append(message);
    } catch (error) {
      this.report(txid, error);
      return;
    }
    this.subscriptions.add(
      producer
        .flush()
        .subscribe({ next: () => this.report(txid), error: (error: unknown) => this.report(txid, error) }),
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
    this.subscriptions.add(
      producer.errors$.subscribe({
        // A message the server refused alone (413): its mutation fails, the producer goes on.
        next: (error) => {
          if (error instanceof ValueTooLargeError) {
            const txid = (error.value as Partial<ChangeMessage> | undefined)?.headers?.txid;
            if (txid !== undefined) this.report(txid, error);
          }
        },
        complete: () => {
          if (this.producer === producer) this.producer = undefined;
        },
      }),
    );
    return (this.producer = producer);
  }
}
