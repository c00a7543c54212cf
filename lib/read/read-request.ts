import type { RequestSpec } from '../http/request-spec.js';
import { ReadParam } from '../protocol/query.js';
import type { ReadRequest } from './read-step.js';

/**
 * The HTTP request for one read request. Pure. The cursor is echoed on live
 * requests only (PROTOCOL.md 10.1), so catch-up URLs stay identical across
 * readers and cacheable; `withQuery` later sorts the parameters.
 */
export function readRequestSpec(
  url: string,
  request: ReadRequest,
  timeouts: { readonly timeoutMs: number; readonly longPollTimeoutMs: number; readonly sseIdleTimeoutMs: number },
): RequestSpec {
  const live = request.kind === 'catch-up' ? undefined : request.kind;
  return {
    method: 'GET',
    url,
    query: {
      [ReadParam.offset]: request.offset,
      [ReadParam.live]: live,
      [ReadParam.cursor]: live === undefined ? undefined : request.cursor,
    },
    ...(request.kind === 'sse' ? { headers: { accept: 'text/event-stream' } } : {}),
    // Held open by the server: the transport keeps it off the pool other requests wait for.
    ...(live === undefined ? {} : { longLived: true }),
    userHeaders: request.headers,
    userParams: request.params,
    // The server holds a long-poll before sending headers, so the header timeout must outlast it.
    timeoutMs: request.kind === 'long-poll' ? timeouts.longPollTimeoutMs : timeouts.timeoutMs,
    // A body may be silent this long: an SSE connection between events (any event restarts it), any other for the client's timeout.
    bodyTimeoutMs: request.kind === 'sse' ? timeouts.sseIdleTimeoutMs : timeouts.timeoutMs,
  };
}
