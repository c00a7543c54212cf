import { Subscription } from 'rxjs';
import type { DurableStream } from '../http/stream-handle.js';
import { idempotentProducer } from '../produce/idempotent-producer-of.js';
import type { IdempotentProducer } from '../produce/idempotent-producer.js';
import { ValueTooLargeError } from '../produce/producer-errors.js';
import type { ProducerOptions } from '../produce/producer-options.js';
import type { ChangeMessage } from './messages.js';
import { newTxid } from './txid.js';

/** Options of the producer a state store writes its mutations with. */
export interface StateProducerOptions extends Omit<ProducerOptions, 'contentType'> {
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

  constructor(
    private readonly stream: DurableStream,
    private readonly options: StateProducerOptions,
    private readonly report: WriteReport,
  ) {}

  write(txid: string, messages: readonly ChangeMessage[]): void {
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

  /** Delivers what was written, then stops the producer. */
  close(): void {
    const producer = this.producer;
    this.producer = undefined;
    if (producer) this.subscriptions.add(producer.finish().subscribe({ error: () => undefined }));
  }

  private current(): IdempotentProducer<ChangeMessage> {
    if (this.producer) return this.producer;
    const { producerId, ...options } = this.options;
    // A replacement never takes the given id: the server knows that one's sequence, which a new producer restarts.
    const id = producerId !== undefined && this.made++ === 0 ? producerId : `state-${newTxid()}`;
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
