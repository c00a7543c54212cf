import { originProtocol, type OriginProtocol, type ResourceTimingSource } from './origin-protocol.js';

/** Live requests a page keeps per HTTP/1.1 origin by default: browsers open 6 connections per origin, so 2 stay for everything else. */
export const HTTP1_LIVE_BUDGET = 4;

/** What origins are known to speak, once known (a protocol does not change while a page lives). */
const known = new Map<string, OriginProtocol>();

/** The size of the live-request budget of an origin now, or undefined for none now. */
export type BudgetSizeOf = () => number | undefined;

/**
 * The size of the live-request budget of the origin of `url`, asked for at
 * each live request (an origin's protocol is learned from the first
 * finished responses), or undefined when there can be none. `'auto'`: in a
 * page or a worker of one, an HTTP/1.1 origin (see `originProtocol`) has
 * {@link HTTP1_LIVE_BUDGET}; HTTP/2 and HTTP/3 origins, and origins not
 * known to be HTTP/1.1, none; outside a browser there is none. A number
 * sets the budget anywhere (`Infinity`: none). Kept apart from the budget
 * itself (`liveBudgetOf`), which a read loads only when there is one.
 */
export function liveBudgetSizeOf(url: string, setting: number | 'auto'): BudgetSizeOf | undefined {
  if (setting !== 'auto') return setting === Infinity ? undefined : () => setting;
  const globals = globalThis as {
    readonly document?: unknown;
    readonly WorkerGlobalScope?: unknown;
    readonly performance?: Partial<ResourceTimingSource>;
  };
  if (globals.document === undefined && globals.WorkerGlobalScope === undefined) return undefined;
  const origin = new URL(url).origin;
  const timing =
    typeof globals.performance?.getEntriesByType === 'function'
      ? (globals.performance as ResourceTimingSource)
      : undefined;
  return () => {
    let protocol = known.get(origin);
    if (protocol === undefined) {
      const learned = originProtocol(origin, timing);
      if (learned !== 'unknown') known.set(origin, learned);
      protocol = learned;
    }
    return protocol === 'http/1.1' ? HTTP1_LIVE_BUDGET : undefined;
  };
}
