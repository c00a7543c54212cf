/**
 * Slots for live requests to one origin: at most `size` held at once.
 * Readers that get none poll meanwhile and say that they wait, so a holder
 * can give its slot up in turn (rotation).
 */
export interface LiveSlots {
  /** A slot, if one is free now: resolves to the function that frees it, or undefined. */
  take(): Promise<(() => void) | undefined>;
  /** Says a reader waits for a slot, until the returned function is called. */
  wait(): () => void;
  /** Whether any reader waits for a slot. */
  contended(): Promise<boolean>;
}

/** The part of the Web Locks API (`navigator.locks`) that slots use. */
export interface SlotLockManager {
  request(
    name: string,
    options: { readonly ifAvailable?: boolean; readonly signal?: AbortSignal },
    callback: (lock: unknown) => Promise<void> | void,
  ): Promise<unknown>;
  query(): Promise<{ readonly held?: ReadonlyArray<{ readonly name?: string }> }>;
}

/**
 * Slots kept with Web Locks, so every tab (and worker) of the origin counts
 * against one budget, as the browser's connection limit does: slot `i` is
 * the lock `<prefix>:slot:<i>`, taken only if free (`ifAvailable`); a
 * waiting reader holds a lock of its own under `<prefix>:wait:`. The
 * browser frees them all when a tab goes.
 */
export function lockSlots(locks: SlotLockManager, prefix: string, size: number): LiveSlots {
  const hold = (name: string, ifAvailable: boolean): Promise<(() => void) | undefined> =>
    new Promise((resolve, reject) => {
      let free: () => void = () => undefined;
      const held = new Promise<void>((done) => (free = done));
      locks
        .request(name, { ifAvailable }, (lock) => {
          if (!lock) return resolve(undefined);
          resolve(free);
          return held;
        })
        .catch(reject);
    });
  let waiter = 0;
  return {
    async take() {
      for (let i = 0; i < size; i++) {
        const free = await hold(`${prefix}:slot:${i}`, true);
        if (free) return free;
      }
      return undefined;
    },
    wait() {
      const release = hold(`${prefix}:wait:${Math.random().toString(36).slice(2)}-${waiter++}`, false);
      return () =>
        void release.then(
          (free) => free?.(),
          () => undefined,
        );
    },
    async contended() {
      const { held = [] } = await locks.query();
      return held.some((lock) => lock.name?.startsWith(`${prefix}:wait:`) === true);
    },
  };
}

/** Slots counted in this page only, where Web Locks do not exist. */
export function pageSlots(size: number): LiveSlots {
  let taken = 0;
  let waiting = 0;
  return {
    take: () => {
      if (taken >= size) return Promise.resolve(undefined);
      taken++;
      let freed = false;
      return Promise.resolve(() => {
        if (!freed) taken--;
        freed = true;
      });
    },
    wait: () => {
      waiting++;
      let done = false;
      return () => {
        if (!done) waiting--;
        done = true;
      };
    },
    contended: () => Promise.resolve(waiting > 0),
  };
}
