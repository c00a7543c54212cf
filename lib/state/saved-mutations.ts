import type { ProducerOutbox } from '../produce/outbox/producer-outbox.js';
import type { ChangeMessage } from './messages.js';

/** A mutation found in an outbox: written by a store before, not acknowledged yet. */
export interface SavedMutation {
  readonly txid: string;
  readonly changes: readonly ChangeMessage[];
  /** The (epoch, seq) of the last batch holding one of its messages: once that is acknowledged, the mutation is delivered. */
  readonly last: { readonly epoch: number; readonly seq: number };
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
    const byTxid = new Map<string, { changes: ChangeMessage[]; last: SavedMutation['last'] }>();
    const decoder = new TextDecoder();
    for (const { body, epoch, seq } of batches) {
      const values: unknown = body ? JSON.parse(decoder.decode(body)) : [];
      for (const value of Array.isArray(values) ? (values as unknown[]) : []) {
        const txid = (value as Partial<ChangeMessage> | null)?.headers?.txid;
        if (typeof txid !== 'string') continue;
        const mutation = byTxid.get(txid) ?? { changes: [], last: { epoch, seq } };
        byTxid.set(txid, mutation);
        mutation.changes.push(value as ChangeMessage);
        mutation.last = { epoch, seq };
      }
    }
    return {
      producerId: position.producerId,
      mutations: [...byTxid].map(([txid, { changes, last }]) => ({ txid, changes, last })),
    };
  } finally {
    await session.close();
  }
}
