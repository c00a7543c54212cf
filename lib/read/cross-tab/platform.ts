import type { LockManagerLike } from './leadership.js';
import type { ChannelLike } from './tab-channel.js';

/** What cross-tab sharing needs of the platform: the Web Locks API and `BroadcastChannel`. */
export interface CrossTabGlobals {
  readonly locks: LockManagerLike;
  readonly Channel: new (name: string) => ChannelLike;
}

/**
 * The Web Locks API and `BroadcastChannel` where both exist (browsers, their
 * workers), else undefined. Cheap and tiny: a read asks it first, and loads
 * the cross-tab code only where it can run.
 */
export function crossTabGlobals(): CrossTabGlobals | undefined {
  const globals = globalThis as {
    readonly navigator?: { readonly locks?: LockManagerLike };
    readonly BroadcastChannel?: CrossTabGlobals['Channel'];
  };
  const locks = globals.navigator?.locks;
  const Channel = globals.BroadcastChannel;
  return typeof locks?.request === 'function' && typeof Channel === 'function' ? { locks, Channel } : undefined;
}
