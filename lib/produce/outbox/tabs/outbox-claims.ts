import { EMPTY, filter, map, Observable, share } from 'rxjs';

/** The part of `BroadcastChannel` claims travel on. */
export interface ClaimChannel {
  postMessage(message: unknown): void;
  addEventListener(type: 'message', listener: (event: { readonly data: unknown }) => void): void;
  removeEventListener(type: 'message', listener: (event: { readonly data: unknown }) => void): void;
  close(): void;
}

/** How claims reach the other tabs of the site: a channel per database. */
export interface OutboxClaims {
  /** Asks whoever delivers outbox `name` for another tab to give it back. */
  claim(name: string): void;
  /** Emits each time another tab claims outbox `name`. */
  claimed(name: string): Observable<void>;
}

const CLAIM = 'durable-streams-rx outbox claim';

/**
 * Claims of outboxes among the tabs of a site, over `BroadcastChannel`. A
 * tab delivering a closed tab's outbox gives it back when that tab comes
 * back (a reload, a restored tab) and claims it: the outbox is its own.
 * Without `BroadcastChannel`, no claim travels (and nothing is delivered
 * for another tab, which needs the Web Locks API that comes with it).
 */
export function outboxClaims(database: string): OutboxClaims {
  const Channel = (globalThis as { readonly BroadcastChannel?: new (name: string) => ClaimChannel }).BroadcastChannel;
  const name = `durable-streams-rx outbox claims ${database}`;
  if (typeof Channel !== 'function') return { claim: () => undefined, claimed: () => EMPTY };
  const messages = new Observable<unknown>((subscriber) => {
    const channel = new Channel(name);
    const listener = (event: { readonly data: unknown }) => subscriber.next(event.data);
    channel.addEventListener('message', listener);
    return () => {
      channel.removeEventListener('message', listener);
      channel.close();
    };
  }).pipe(share());
  return {
    claim: (outbox) => {
      const channel = new Channel(name);
      channel.postMessage({ type: CLAIM, outbox });
      channel.close();
    },
    claimed: (outbox) =>
      messages.pipe(
        filter((message) => {
          const claim = message as { readonly type?: unknown; readonly outbox?: unknown } | null;
          return claim?.type === CLAIM && claim.outbox === outbox;
        }),
        map(() => undefined),
      ),
  };
}
