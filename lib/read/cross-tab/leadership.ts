import { Observable } from 'rxjs';

/** The part of the Web Locks API (`navigator.locks`) that leader election uses. */
export interface LockManagerLike {
  request(name: string, options: { readonly signal: AbortSignal }, callback: () => Promise<void>): Promise<unknown>;
}

/**
 * Leadership of `name` among the tabs (and workers) of an origin, with the
 * Web Locks API: emits once this context holds the lock, which it keeps
 * until unsubscribed. Unsubscribing before then leaves the queue; after,
 * releases the lock, and the next context waiting for it gets it. The
 * browser releases it too when the document goes away (closed, reloaded).
 */
export function leadership(locks: LockManagerLike, name: string): Observable<void> {
  return new Observable<void>((subscriber) => {
    const queue = new AbortController();
    let release: () => void = () => undefined;
    const held = new Promise<void>((resolve) => (release = resolve));
    locks
      .request(name, { signal: queue.signal }, () => {
        subscriber.next();
        return held;
      })
      .catch((error: unknown) => {
        // Leaving the queue rejects the request with an AbortError: that is not a failure.
        if (!queue.signal.aborted) subscriber.error(error);
      });
    return () => {
      release();
      queue.abort();
    };
  });
}
