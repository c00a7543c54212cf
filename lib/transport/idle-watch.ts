import type { SchedulerLike, Subscription } from 'rxjs';

/** A deadline that activity pushes back. */
export interface IdleWatch {
  /** Activity: the deadline is `idleMs` from now again. Costs no timer. */
  touch(): void;
  /** Cancels the deadline; `onIdle` is never called after this. */
  stop(): void;
}

/**
 * Calls `onIdle` once, when `idleMs` have passed without a `touch()`. At
 * most one scheduled action exists at a time, however often it is touched:
 * when it comes due it looks at the last activity and, if there was some,
 * schedules itself for the rest of the period. So a body streaming
 * thousands of chunks a second costs one timer per `idleMs`, not one per
 * chunk. Timers come from `scheduler` (virtual time in tests).
 */
export function watchIdle(scheduler: SchedulerLike, idleMs: number, onIdle: () => void): IdleWatch {
  let lastActivity = scheduler.now();
  let stopped = false;
  let pending: Subscription;
  const check = (): void => {
    if (stopped) return;
    const idle = scheduler.now() - lastActivity;
    if (idle >= idleMs) {
      stopped = true;
      onIdle();
      return;
    }
    pending = scheduler.schedule(check, idleMs - idle);
  };
  pending = scheduler.schedule(check, idleMs);
  return {
    touch: () => {
      lastActivity = scheduler.now();
    },
    stop: () => {
      stopped = true;
      pending.unsubscribe();
    },
  };
}
