import { memoryOutbox, type ProducerOutbox } from '../../../lib/index';
import type { OutboxBatch } from '../../../lib/produce/outbox/producer-outbox';

/** A JSON batch of `values` as an outbox keeps it, at epoch 0 and `seq`. */
export const outboxBatch = (seq: number, values: unknown[]): OutboxBatch => ({
  epoch: 0,
  seq,
  count: values.length,
  body: new TextEncoder().encode(JSON.stringify(values)),
  sizes: undefined,
  close: false,
  contentType: 'application/json',
});

/** An outbox a store on `streamUrl` left: producer 'p1', epoch 0, holding `batches` (from seq 0). */
export async function outboxHolding(streamUrl: string, batches: OutboxBatch[]): Promise<ProducerOutbox> {
  const outbox = memoryOutbox();
  const session = await outbox.open();
  const position = {
    url: streamUrl,
    producerId: 'p1',
    epoch: 0,
    nextSeq: batches.length,
    contentType: 'application/json',
  };
  await session.write({ put: batches, position });
  await session.close();
  return outbox;
}
