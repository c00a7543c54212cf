import type { DurableStreamError } from '../../errors/durable-stream-error.js';
import type { CrossTabEnvironment } from './cross-tab-tail.js';
import type { CrossTabGlobals } from './platform.js';
import { pageActive, type LifecycleTarget } from './tab-channel.js';

/** The cross-tab environment over the Web Locks API and `BroadcastChannel` found (`crossTabGlobals()`), with the page's lifecycle. */
export function crossTabEnvironment(
  { locks, Channel }: CrossTabGlobals,
  errorType: typeof DurableStreamError,
): CrossTabEnvironment {
  const globals = globalThis as { readonly document?: LifecycleTarget; readonly window?: LifecycleTarget };
  return {
    locks,
    channel: (name) => new Channel(name),
    active: pageActive(globals.document, globals.window),
    errorType,
  };
}
