/** One message of the feed, as the producer writes it. Stream content is untrusted: shown as text only. */
export interface FeedItem {
  readonly id?: number;
  readonly text?: string;
}

/** The newest items kept on screen and in storage. */
export const MAX_ITEMS = 500;

/**
 * The items shown, kept in `localStorage` beside the read's checkpoint, so a
 * reload shows the same list and resumes the read after its last item. Both
 * are written in the same task (the items here, the checkpoint right after by
 * `resumable()`), so they never disagree.
 */
export class FeedStore {
  readonly checkpointKey: string;
  private readonly itemsKey: string;
  private current: readonly FeedItem[];

  constructor(
    private readonly storage: Storage,
    stream: string,
  ) {
    this.checkpointKey = `durable-feed:${stream}:checkpoint`;
    this.itemsKey = `durable-feed:${stream}:items`;
    this.current = this.load();
  }

  /** The items shown so far. */
  items(): readonly FeedItem[] {
    return this.current;
  }

  /** Adds a batch's items, keeping the newest {@link MAX_ITEMS}, and saves them. */
  append(items: readonly FeedItem[]): readonly FeedItem[] {
    this.current = [...this.current, ...items].slice(-MAX_ITEMS);
    this.storage.setItem(this.itemsKey, JSON.stringify(this.current));
    return this.current;
  }

  private load(): readonly FeedItem[] {
    const raw = this.storage.getItem(this.itemsKey);
    try {
      const parsed: unknown = raw === null ? undefined : JSON.parse(raw);
      if (Array.isArray(parsed)) return parsed as FeedItem[];
    } catch {
      // corrupt: start over below
    }
    // No list to continue: a stale checkpoint would skip what it never showed.
    this.storage.removeItem(this.checkpointKey);
    return [];
  }
}

/** How an item is shown. */
export function itemText(item: FeedItem): string {
  return typeof item?.text === 'string' ? item.text : JSON.stringify(item);
}
