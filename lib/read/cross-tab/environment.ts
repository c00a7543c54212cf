import type { CrossTabEnvironment } from './cross-tab-tail.js';
import type { LockManagerLike } from './leadership.js';
import { pageActive, type ChannelLike, type LifecycleTarget } from './tab-channel.js';

interface BrowserGlobals {
  readonly navigator?: { readonly locks?: LockManagerLike };
  readonly BroadcastChannel?: new (name: string) => ChannelLike;
  readonly document?: LifecycleTarget;
  readonly window?: LifecycleTarget;
}

/** The Web Locks API and `BroadcastChannel` where both exist (browsers, their workers), with the page's lifecycle; else undefined. */
export function crossTabEnvironment(): CrossTabEnvironment | undefined {
  const globals = globalThis as BrowserGlobals;
  const locks = globals.navigator?.locks;
  const Channel = globals.BroadcastChannel;
  if (typeof locks?.request !== 'function' || typeof Channel !== 'function') return undefined;
  return { locks, channel: (name) => new Channel(name), active: pageActive(globals.document, globals.window) };
}
