import { distinctUntilChanged, EMPTY, filter, fromEvent, map, merge, Observable, of, share } from 'rxjs';

/** The part of `BroadcastChannel` that cross-tab sharing uses. */
export interface ChannelLike {
  postMessage(message: unknown): void;
  addEventListener(type: 'message', listener: (event: { readonly data: unknown }) => void): void;
  removeEventListener(type: 'message', listener: (event: { readonly data: unknown }) => void): void;
  close(): void;
}

/** A channel between the tabs of an origin, opened on subscribe (emitted once) and closed on unsubscribe. */
export function openChannel(create: (name: string) => ChannelLike, name: string): Observable<ChannelLike> {
  return new Observable<ChannelLike>((subscriber) => {
    const channel = create(name);
    subscriber.next(channel);
    return () => channel.close();
  });
}

/** What other contexts post on `channel` (never one's own), one listener however many listen. */
export function messagesOf(channel: ChannelLike): Observable<unknown> {
  return fromEvent(channel, 'message').pipe(
    map((event) => event.data),
    share(),
  );
}

/** Where the Page Lifecycle events fire (`document` for `freeze`/`resume`, `window` for `pagehide`/`pageshow`). */
export interface LifecycleTarget {
  addEventListener(type: string, listener: (event: unknown) => void): void;
  removeEventListener(type: string, listener: (event: unknown) => void): void;
}

/**
 * Whether the page runs: true at once; false when it is frozen, or put in
 * the back-forward cache; true again when it comes back. A page put away
 * must not hold a tail other tabs wait for.
 */
export function pageActive(doc: LifecycleTarget | undefined, win: LifecycleTarget | undefined): Observable<boolean> {
  const on = (target: LifecycleTarget | undefined, type: string, active: boolean, persistedOnly = false) =>
    target
      ? fromEvent(target, type).pipe(
          filter((event) => !persistedOnly || (event as { readonly persisted?: boolean }).persisted === true),
          map(() => active),
        )
      : EMPTY;
  return merge(
    of(true),
    on(doc, 'freeze', false),
    on(doc, 'resume', true),
    on(win, 'pagehide', false, true),
    on(win, 'pageshow', true, true),
  ).pipe(distinctUntilChanged());
}
