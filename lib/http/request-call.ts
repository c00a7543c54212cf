import type { Observable, ObservableInput } from 'rxjs';
import type { RetryConfig } from '../retry/retry-config.js';
import { retryableFor, type RetrySafety } from '../retry/retry-safety.js';
import { retryWithBackoff } from '../retry/retry-with-backoff.js';
import type { OutgoingRequest } from '../transport/exchange.js';
import type { HttpResponse } from '../transport/http-transport.js';
import type { RequestExecutor } from './request-executor.js';
import type { RequestSpec } from './request-spec.js';

/** Why a write that failed retryably was not repeated: said only where it was not. */
const NOT_RETRIED_UNSAFE =
  'Not retried: the server may have applied it, so repeating it could apply it twice. To retry, append with ' +
  "`delivery: 'at-least-once'` (duplicates possible) or an idempotent producer (no duplicates)";

/**
 * One request of `http` wrapped in bounded backoff retries: what a one-shot operation sends. Which failures it repeats
 * follows `safety`; `retry` overrides the client's policy for this call. Apart from the executor, so that a read
 * (whose retries are its own, `retryRead`) carries none of this.
 */
export function callRequest<T>(
  http: RequestExecutor,
  spec: RequestSpec,
  onSuccess: (response: HttpResponse, request: OutgoingRequest) => ObservableInput<T>,
  safety: RetrySafety,
  retry?: Partial<RetryConfig>,
): Observable<T> {
  const policy = http.retryPolicy;
  return http.attempt(spec, onSuccess).pipe(
    retryWithBackoff<T>({ ...policy.retry, ...retry }, policy.scheduler, {
      retryIf: retryableFor(safety),
      notRetried: () => NOT_RETRIED_UNSAFE,
    }),
  );
}
