import { lockSlots, pageSlots, type LiveSlots, type SlotLockManager } from './live-slots.js';
import { originProtocol, type OriginProtocol, type ResourceTimingSource } from './origin-protocol.js';

/** Live requests a page keeps per HTTP/1.1 origin by default: browsers open 6 connections per origin, so 2 stay for everything else. */
export const HTTP1_LIVE_BUDGET = 4;

/** The slots live reads of one origin share, and the warning said once when a reader has to wait. */
export interface LiveBudget {
  readonly size: number;
  readonly slots: LiveSlots;
  warn(): void;
}

interface PageGlobals {
  readonly document?: unknown;
  readonly WorkerGlobalScope?: unknown;
  readonly navigator?: { readonly locks?: Partial<SlotLockManager> };
  readonly performance?: Partial<ResourceTimingSource>;
}

const budgets = new Map<string, LiveBudget>();
/** What origins are known to speak, once known (a protocol does not change while a page lives). */
const known = new Map<string, OriginProtocol>();

/** Where the live requests to `url` may have a budget: the budget now, or undefined for none now. */
export type BudgetOf = () => LiveBudget | undefined;

/**
 * The live-request budget of the origin of `url`, asked for at each live
 * request (an origin's protocol is learned from the first finished
 * responses), or undefined when there can be none. `'auto'`: in a page or
 * a worker of one, an HTTP/1.1 origin (see `originProtocol`) has
 * {@link HTTP1_LIVE_BUDGET}; HTTP/2 and HTTP/3 origins, and origins not
 * known to be HTTP/1.1, none; outside a browser there is none. A number
 * sets the budget anywhere (`Infinity`: none). One budget per origin and
 * size in this context; with Web Locks, its slots count across the tabs of
 * the page's origin.
 */
export function liveBudgetOf(url: string, setting: number | 'auto'): BudgetOf | undefined {
  const globals = globalThis as PageGlobals;
  const origin = new URL(url).origin;
  if (setting !== 'auto') return setting === Infinity ? undefined : () => budget(origin, setting, globals);
  if (globals.document === undefined && globals.WorkerGlobalScope === undefined) return undefined;
  const timing = typeof globals.performance?.getEntriesByType === 'function' ? (globals.performance as ResourceTimingSource) : undefined;
  return () => {
    let protocol = known.get(origin);
    if (protocol === undefined) {
      const learned = originProtocol(origin, timing);
      if (learned !== 'unknown') known.set(origin, learned);
      protocol = learned;
    }
    return protocol === 'http/1.1' ? budget(origin, HTTP1_LIVE_BUDGET, globals) : undefined;
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
