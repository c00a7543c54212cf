import { NEVER, of, type Observable } from 'rxjs';
import type { StreamContext } from '../../lib/http/stream-context';
import { DEFAULT_RETRY } from '../../lib/retry/retry-config';

/** A stream context without an executor, for producers whose sender is injected: the content type is given, nothing is sent. */
export function offlineContext(url: string, contentType: Observable<string> = of('application/json')): StreamContext {
  return {
    url,
    runtime: undefined as never,
    http: undefined as never,
    scheduler: undefined,
    timeoutMs: 30_000,
    retry: DEFAULT_RETRY,
    connectivity: { wakes: NEVER, isOffline: () => false },
    // Not known, being learned: what the producer learns is `contentType` (a test may delay it or fail it).
    contentType: { value: undefined, learning: contentType },
  };
}
