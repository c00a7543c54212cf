import { NetworkError, TimeoutError } from '../errors/client-errors.js';
import { isRetryable } from '../errors/durable-stream-error.js';
import { RateLimitedError, RequestTimeoutError, ServerError } from '../errors/http-errors.js';

/**
 * Which failures may be repeated: `idempotent` requests (GET, HEAD, PUT,
 * close, a producer's batch) retry every retryable error; `unsafe` ones (a
 * plain append) only those where the server surely did not apply the
 * request, so nothing is ever written twice.
 */
export type RetrySafety = 'idempotent' | 'unsafe';

/** The failures after which the server surely did not apply a request. */
export function isSafeToRepeat(error: unknown): boolean {
  if (error instanceof NetworkError) return error.notSent;
  // Timed out before it had a connection: it never left.
  if (error instanceof TimeoutError) return error.phase === 'connection';
  if (error instanceof RateLimitedError || error instanceof RequestTimeoutError) return true;
  return error instanceof ServerError && error.status === 503;
}

/** The errors a request of this safety may be repeated after. */
export function retryableFor(safety: RetrySafety): (error: unknown) => boolean {
  return safety === 'idempotent' ? isRetryable : isSafeToRepeat;
}
