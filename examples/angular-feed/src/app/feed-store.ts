import type { Collections } from 'durable-streams-rx';

/** One message of the feed, the `value` of a State Protocol change message. Untrusted: shown as text only. */
export interface FeedMessage {
  readonly id?: number;
  readonly text?: string;
}

/** The feed's entity types: one collection, `message`, keyed by the message id. */
export interface FeedEntities {
  readonly message: FeedMessage;
}

export type FeedCollections = Collections<FeedEntities>;

/**
 * The materialized collections, kept in `localStorage` beside the read's
 * checkpoint, so that a reload shows the same list and resumes the read
 * right after the last batch applied to it. Both are written in the same task
 * (the collections here, the checkpoint right after by `resumable()`), so
 * they never disagree. The whole state is stored: a feed that outgrows
 * `localStorage` wants IndexedDB (an async store) instead.
 */
export class FeedStore {
  readonly checkpointKey: string;
  private readonly collectionsKey: string;
  /** The collections saved by the last visit: the state the read resumes from. */
  readonly saved: FeedCollections;

  constructor(
    private readonly storage: Storage,
    stream: string,
  ) {
    this.checkpointKey = `durable-feed:${stream}:checkpoint`;
    this.collectionsKey = `durable-feed:${stream}:collections`;
    this.saved = this.load();
  }

  save(collections: FeedCollections): void {
    this.storage.setItem(this.collectionsKey, JSON.stringify(collections));
  }

  private load(): FeedCollections {
    try {
      const parsed: unknown = JSON.parse(this.storage.getItem(this.collectionsKey) ?? 'null');
      const message: unknown = (parsed as { message?: unknown } | null)?.message;
      if (isPlainObject(message) && this.storage.getItem(this.checkpointKey) !== null) return { message };
    } catch {
      // corrupt: start over below
    }
    // Either half alone is no use: a checkpoint without its state would skip what it never showed.
    this.storage.removeItem(this.checkpointKey);
    this.storage.removeItem(this.collectionsKey);
    return {};
  }
}

/** The feed as a list: the `message` collection's values ordered by their numeric `id`, then by key. */
export function feedList(collections: FeedCollections): readonly { key: string; text: string }[] {
  return Object.entries(collections.message ?? {})
    .sort(([a, x], [b, y]) => order(x) - order(y) || (a < b ? -1 : a > b ? 1 : 0))
    .map(([key, message]) => ({ key, text: typeof message?.text === 'string' ? message.text : String(JSON.stringify(message)) }));
}

const order = (message: FeedMessage | undefined): number => (typeof message?.id === 'number' ? message.id : Number.MAX_VALUE);

function isPlainObject(value: unknown): value is Record<string, FeedMessage> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
