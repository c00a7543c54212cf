import type { Collections } from 'durable-streams-rx/state';

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

/** The feed as a list: the `message` collection's values ordered by their numeric `id`, then by key. */
export function feedList(collections: FeedCollections): readonly { key: string; text: string }[] {
  return Object.entries(collections.message ?? {})
    .sort(([a, x], [b, y]) => order(x) - order(y) || (a < b ? -1 : a > b ? 1 : 0))
    .map(([key, message]) => ({
      key,
      text: typeof message?.text === 'string' ? message.text : JSON.stringify(message ?? null),
    }));
}

const order = (message: FeedMessage | undefined): number =>
  typeof message?.id === 'number' ? message.id : Number.MAX_VALUE;
