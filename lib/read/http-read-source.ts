import { of, throwError, type Observable } from 'rxjs';
import type { StreamContext } from '../http/stream-context.js';
import { isJsonContentType } from '../protocol/content-type.js';
import { Header } from '../protocol/headers.js';
import { stripQuery } from '../protocol/url.js';
import { continueWith } from './continue-with.js';
import type { PayloadFormat } from './payload-format.js';
import { readRequestSpec } from './read-request.js';
import type { OpenRequest, ReadRequest, ReadStep } from './read-step.js';
import type { ResolvedReadOptions } from './resolve-read-options.js';
import { responsePosition } from './response-position.js';
import type { SseRead } from './sse-source.js';
import { SseUnavailableError } from './sse-unavailable-error.js';

/** What a read learned of its stream's content type: whether it is JSON. A shared tail starts with what its first reader learned. */
export interface LearnedContentType {
  jsonStream?: boolean;
}

/**
 * How a read opens SSE connections: `sseConnection` of the code of live reads, with what the client lends it
 * (`LiveReadsLoan`, see client-reads.ts).
 */
export type SseConnect = <P>(read: SseRead<P>) => (request: ReadRequest) => Observable<ReadStep<P>>;

/** How a read opens SSE connections, once their code has loaded (undefined: it failed to load; see live-code.ts). */
export type SseCode = Observable<SseConnect | undefined>;

/**
 * The I/O edge of a read: performs each request the composition asks for
 * with `RequestExecutor.attempt()` (dynamic headers, exchange, typed errors) and
 * decodes the answer with `format`. Make one per read subscription: it
 * remembers the stream's content type, learned from the responses, in `learned`.
 * SSE connections wait for their code, `sseCode` (loaded while the read
 * catches up); a read without it, or whose code failed to load, finds SSE
 * unavailable (`'auto'` reads long-poll).
 */
export function httpReadSource<P>(
  ctx: StreamContext,
  format: PayloadFormat<P>,
  options: ResolvedReadOptions,
  learned: LearnedContentType = {},
  sseCode: SseCode = of(undefined),
): OpenRequest<P> {
  // Errors name the stream, not the query a URL may carry.
  const url = stripQuery(ctx.url);

  const plain = (request: ReadRequest): Observable<ReadStep<P>> =>
    ctx.http.attempt(readRequestSpec(ctx.url, request, options), async (response): Promise<ReadStep<P>> => {
      const position = responsePosition(response.status, response.headers, url, request.offset);
      const contentType = response.headers.get(Header.contentType);
      if (contentType) learned.jsonStream = isJsonContentType(contentType);
      const context = { url, at: request.offset, closed: position.closed, jsonStream: learned.jsonStream ?? false };
      if (response.status === 204) {
        await response.body.dump();
        return { payload: format.none(context), ...position };
      }
      return { payload: await format.fromBody(response.body, context), ...position };
    });

  const learn = format.learnContentType;
  const sseRead: SseRead<P> = {
    url,
    format,
    learned,
    send: (request, consume) => ctx.http.attempt(readRequestSpec(ctx.url, request, options), consume),
    // The read's headers and params (with any onError overrides) go on this HEAD too: they may be its credentials.
    learnContentType: learn && ((request) => learn(ctx, request)),
  };
  let connect: ((request: ReadRequest) => Observable<ReadStep<P>>) | undefined;
  // Not a switchMap: a live tail keeps nothing of the wait for the code while its connection lasts.
  const sse = (request: ReadRequest): Observable<ReadStep<P>> =>
    continueWith(sseCode, (code) => {
      if (!code) return throwError(() => new SseUnavailableError({ url, reason: 'not-loaded' }));
      connect ??= code(sseRead);
      return connect(request);
    });

  return (request) => (request.kind === 'sse' ? sse(request) : plain(request));
}
