/** The part of the Web Locks API (`navigator.locks`) an outbox uses. */
export interface OutboxLockManager {
  request(
    name: string,
    options: { readonly ifAvailable: true },
    callback: (lock: unknown) => Promise<void> | undefined,
  ): Promise<unknown>;
}

/** An outbox's lock, held until released. */
export interface HeldOutboxLock {
  /** Whether another context took the lock away (`steal`): what this one writes then is no longer safe. */
  readonly lost: boolean;
  release(): void;
}

/** Who holds a lock that was not free. */
export type LockHolder = 'this page' | 'another context';

/** Locks held in this realm: the Web Locks API cannot say whether the holder is this page, and it is missing in some. */
const heldHere = new Set<string>();

/** The Web Locks API of this realm (a page, a worker), where it exists: in secure contexts (https, localhost). */
export function globalLocks(): OutboxLockManager | undefined {
  const locks = (globalThis as { readonly navigator?: { readonly locks?: OutboxLockManager } }).navigator?.locks;
  return typeof locks?.request === 'function' ? locks : undefined;
}

/**
 * Takes lock `name` if it is free, without waiting: in this realm, and with
 * the Web Locks API (when there is one) among every tab, window and worker of
 * the site. The browser releases a Web Lock when its document goes away
 * (closed, reloaded, crashed), so a dead tab never holds one. Answers who
 * holds it when it is not free.
 */
export function takeLock(
  name: string,
  locks: OutboxLockManager | undefined,
): Promise<HeldOutboxLock | { readonly heldBy: LockHolder }> {
  if (heldHere.has(name)) return Promise.resolve({ heldBy: 'this page' });
  heldHere.add(name);
  const releaseHere = () => heldHere.delete(name);
  if (!locks) return Promise.resolve({ lost: false, release: releaseHere });
  return new Promise((resolve, reject) => {
    let granted = false;
    let lost = false;
    let releaseWebLock: () => void = () => undefined;
    const held = new Promise<void>((done) => (releaseWebLock = done));
    locks
      .request(name, { ifAvailable: true }, (lock) => {
        if (!lock) {
          releaseHere();
          resolve({ heldBy: 'another context' });
          return undefined;
        }
        granted = true;
        resolve({
          get lost() {
            return lost;
          },
          release: () => {
            releaseHere();
            releaseWebLock();
          },
        });
        return held;
      })
      .catch((error: unknown) => {
        // After the grant, a rejection means another context stole the lock; before it, that the request failed.
        if (granted) lost = true;
        else {
          releaseHere();
          reject(error instanceof Error ? error : new Error(String(error)));
        }
      });
  });
}
