import { defer, firstValueFrom, retry, throwError, timer } from 'rxjs';
import { OutboxLockedError } from '../produce/outbox/outbox-errors.js';

/**
 * How long a store waits for an outbox held by someone about to let it go
 * (a reloaded page's last document, until the browser releases its lock; a
 * producer of the store that stopped and is closing its session): 50 × 100 ms.
 */
const RELEASE_WAIT = { count: 50, delayMs: 100 } as const;

/**
 * Runs `open` (which opens an outbox, and gives it up again) once more each
 * time it fails with an `OutboxLockedError`, for up to {@link RELEASE_WAIT},
 * then fails with that error; any other error at once. Stops waiting once
 * `stopped()` (no timer outlives a closed store).
 */
export function whenReleased<T>(open: () => Promise<T>, stopped: () => boolean): Promise<T> {
  return firstValueFrom(
    defer(open).pipe(
      retry({
        count: RELEASE_WAIT.count,
        delay: (error: unknown) =>
          error instanceof OutboxLockedError && !stopped() ? timer(RELEASE_WAIT.delayMs) : throwError(() => error),
      }),
    ),
  );
}
