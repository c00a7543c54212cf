import { catchError, EMPTY, throwError, timeout, type MonoTypeOperatorFunction, type SchedulerLike } from 'rxjs';
import type { DurableStreamError } from '../errors/durable-stream-error.js';
import type { LiveMode } from './read-options.js';
import type { ReadState } from './read-state.js';
import type { ReadStep } from './read-step.js';
import type { SseUnavailableError } from './sse-unavailable-error.js';

/** The error types the guard tells apart, lent by the read path (this code loads in a lazy chunk; see live-code.ts). */
export interface SseGuardErrors {
  readonly DurableStreamError: typeof DurableStreamError;
  readonly SseUnavailableError: typeof SseUnavailableError;
}

/**
 * With `'auto'`, until SSE has worked once in this read, signs that it cannot switch the read to long-poll. A
 * question of the read's state (`ReadState.sse`) that only live requests ask: code of live reads, with the guard.
 */
export function mayFallBackFromSse(state: ReadState, live: LiveMode): boolean {
  return live === 'auto' && state.sse !== 'working';
}

/** What {@link guardSse} may do about an SSE connection that does not work. */
export interface SseFallback {
  /** Whether the read may still switch to long-poll (`'auto'`, and SSE has not worked yet). Asked when needed. */
  readonly canFallBack: () => boolean;
  /** Switches the read to long-poll for good. */
  readonly fallBack: () => void;
}

/**
 * SSE's own failure modes, where the read may still fall back. With
 * `'auto'`, until SSE has worked once in this read, signs that it cannot
 * (refused, wrong content type, no first event within `fallbackMs`, an
 * early end) switch the read to long-poll instead of failing. A silent
 * connection is bounded by its request's body timeout, not here. Where the
 * read can no longer fall back when the connection opens (`'sse'`, or SSE
 * has worked: that never changes back), the guard adds nothing to it, as a
 * live tail keeps its connection's operators for as long as it reads.
 */
export function guardSse<P>(
  url: string,
  fallbackMs: number,
  scheduler: SchedulerLike,
  fallback: SseFallback,
  errors: SseGuardErrors,
): MonoTypeOperatorFunction<ReadStep<P>> {
  return (source) => {
    if (!fallback.canFallBack()) return source;
    return source.pipe(
      timeout({
        first: fallbackMs,
        scheduler,
        with: () => throwError(() => new errors.SseUnavailableError({ url, reason: 'no-event' })),
      }),
      catchError((error: unknown) => {
        // Asked when the error comes: a connection that has delivered events proved SSE works.
        if (!fallback.canFallBack() || !refusesSse(error, errors)) return throwError(() => error);
        fallback.fallBack();
        return EMPTY;
      }),
    );
  };
}

/**
 * Errors that say SSE does not work here, rather than something about the
 * stream or the credentials: those (401, 403, 404, 410, 429) would fail a
 * long-poll just the same, so they go to the normal error handling.
 */
function refusesSse(error: unknown, { SseUnavailableError, DurableStreamError }: SseGuardErrors): boolean {
  if (error instanceof SseUnavailableError) return true;
  if (!(error instanceof DurableStreamError) || error.status < 400) return false;
  return ![401, 403, 404, 410, 429].includes(error.status);
}
