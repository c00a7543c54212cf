import type { ProducerOutbox } from '../produce/outbox/producer-outbox.js';
import type { ChangeMessage } from './messages.js';

/** A mutation found in an outbox: written by a store before, not acknowledged yet. */
export interface SavedMutation {
  readonly txid: string;
  readonly changes: readonly ChangeMessage[];
  /**
   * Messages the outbox holds after this mutation's last one. The producer
   * acknowledges messages in order, whatever numbering it sends them under (a
   * claimed epoch, a split batch): once no more than these are left
   * unacknowledged of the outbox's, the mutation is delivered.
   */
  readonly followedBy: number;
}

/** What a store's outbox holds for its stream: whose producer saved it, and the mutations, in the order written. */
export interface SavedMutations {
  /** The producer id the batches were saved under: the store's producer takes it, to deliver them. */
  readonly producerId: string | undefined;
  readonly mutations: readonly SavedMutation[];
}

/**
 * Reads what `outbox` holds for the stream at `url` (opens it, reads, gives
 * it up): the change messages of its batches grouped by their txid. An
 * outbox of another stream, or empty, holds none.
 */
export async function savedMutations(outbox: ProducerOutbox, url: string): Promise<SavedMutations> {
  const session = await outbox.open();
  try {
    const { position, batches } = session.contents;
    if (position?.url !== url) return { producerId: undefined, mutations: [] };
    const byTxid = new Map<string, { changes: ChangeMessage[]; through: number }>();
    const decoder = new TextDecoder();
    /** Messages of the batches before this one (their counts: values without a txid count too). */
    let before = 0;
    for (const { body, count } of batches) {
      const values: unknown = body ? JSON.parse(decoder.decode(body)) : [];
      for (const [index, value] of (Array.isArray(values) ? (values as unknown[]) : []).entries()) {
        const txid = (value as Partial<ChangeMessage> | null)?.headers?.txid;
        if (typeof txid !== 'string') continue;
        const mutation = byTxid.get(txid) ?? { changes: [], through: 0 };
        byTxid.set(txid, mutation);
        mutation.changes.push(value as ChangeMessage);
        mutation.through = before + index + 1;
      }
      before += count;
    }
    return {
      producerId: position.producerId,
      mutations: [...byTxid].map(([txid, { changes, through }]) => ({ txid, changes, followedBy: before - through })),
    };
  } finally {
    await session.close();
  }
}
