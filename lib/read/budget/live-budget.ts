import { lockSlots, pageSlots, type LiveSlots, type SlotLockManager } from './live-slots.js';
import type { BudgetSizeOf } from './budget-size.js';

/** The slots live reads of one origin share, and the warning said once when a reader has to wait. */
export interface LiveBudget {
  readonly size: number;
  readonly slots: LiveSlots;
  warn(): void;
}

interface PageGlobals {
  readonly navigator?: { readonly locks?: Partial<SlotLockManager> };
}

const budgets = new Map<string, LiveBudget>();

/** Where the live requests to `url` may have a budget: the budget now, or undefined for none now. */
export type BudgetOf = () => LiveBudget | undefined;

/**
 * The live-request budget of the origin of `url`, asked for at each live
 * request: of the size `sizeOf` tells then (see `liveBudgetSizeOf`), or none.
 * One budget per origin and size in this context; with Web Locks, its slots
 * count across the tabs of the page's origin.
 */
export function liveBudgetOf(url: string, sizeOf: BudgetSizeOf): BudgetOf {
  const origin = new URL(url).origin;
  return () => {
    const size = sizeOf();
    return size === undefined ? undefined : budget(origin, size, globalThis);
  };
}

function budget(origin: string, size: number, globals: PageGlobals): LiveBudget {
  const key = `${origin} ${size}`;
  let found = budgets.get(key);
  if (!found) budgets.set(key, (found = createBudget(origin, size, globals.navigator?.locks)));
  return found;
}

function createBudget(origin: string, size: number, locks: Partial<SlotLockManager> | undefined): LiveBudget {
  const slots =
    typeof locks?.request === 'function' && typeof locks.query === 'function'
      ? lockSlots(locks as SlotLockManager, `durable-streams-rx:live:${origin}`, size)
      : pageSlots(size);
  let warned = false;
  return {
    size,
    slots,
    warn: () => {
      if (warned) return;
      warned = true;
      console.warn(
        `durable-streams-rx: ${origin} is served over HTTP/1.1, where a browser opens at most 6 connections per origin, shared by all its tabs. ` +
          `More live reads are open than the ${size} live requests kept for them, so the others poll with backoff, taking turns, until a slot is free. ` +
          'Serve the streams over HTTP/2 or HTTP/3 to lift the limit (docs/many-reads.md).',
      );
    },
  };
}
