import {
  catchError,
  defer,
  from,
  map,
  of,
  switchMap,
  take,
  tap,
  throwError,
  throwIfEmpty,
  type Observable,
} from 'rxjs';
import type { StreamContext } from '../http/stream-context.js';
import { TimeoutError } from '../errors/client-errors.js';
import { DurableStreamError } from '../errors/durable-stream-error.js';
import { isJsonContentType, mediaType } from '../protocol/content-type.js';
import { Header } from '../protocol/headers.js';
import { stripQuery } from '../protocol/url.js';
import type { HttpResponse } from '../transport/http-transport.js';
import type { PayloadFormat, SseDataEncoding } from './payload-format.js';
import { readRequestSpec } from './read-request.js';
import type { OpenRequest, ReadRequest, ReadStep } from './read-step.js';
import type { ResolvedReadOptions } from './resolve-read-options.js';
import { responsePosition } from './response-position.js';
import { sseFrames } from './sse-frames.js';
import { SseUnavailableError } from './sse-unavailable-error.js';

/** What a read learned of its stream's content type: whether it is JSON. A shared tail starts with what its first reader learned. */
export interface LearnedContentType {
  jsonStream?: boolean;
}

/**
 * The I/O edge of a read: performs each request the composition asks for
 * with `RequestExecutor.attempt()` (dynamic headers, exchange, typed errors) and
 * decodes the answer with `format`. Make one per read subscription: it
 * remembers the stream's content type, learned from the responses, in `learned`.
 */
export function httpReadSource<P>(
  ctx: StreamContext,
  format: PayloadFormat<P>,
  options: ResolvedReadOptions,
  learned: LearnedContentType = {},
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

  // Byte and text reads decode SSE data by the stream's content type; learn it once, only if no response told it.
  const knowContentType = ({ headers, params }: ReadRequest): Observable<unknown> =>
    !format.needsContentType || learned.jsonStream !== undefined
      ? of(undefined)
      : // The read's headers and params (with any onError overrides) go on this HEAD too: they may be its credentials.
        ctx.contentType({ headers, params }).pipe(
          take(1),
          tap((contentType) => (learned.jsonStream = isJsonContentType(contentType))),
        );

  const sse = (request: ReadRequest): Observable<ReadStep<P>> =>
    defer(() => {
      const connection = { seen: false };
      return knowContentType(request).pipe(
        switchMap(() =>
          ctx.http.attempt(readRequestSpec(ctx.url, request, options), (response) =>
            sseSteps(response, request, connection),
          ),
        ),
        // Silent from the start is SSE not getting through (a buffering proxy); silent after events, a connection gone quiet.
        catchError((error: unknown) =>
          throwError(() =>
            !isSilence(error)
              ? error
              : connection.seen
                ? sseSilence(url, error)
                : new SseUnavailableError({ url, reason: 'no-event', cause: error }),
          ),
        ),
      );
    });

  const sseSteps = (
    response: HttpResponse,
    request: ReadRequest,
    connection: { seen: boolean },
  ): Observable<ReadStep<P>> =>
    defer(() => {
      if (mediaType(response.headers.get(Header.contentType) ?? undefined) !== 'text/event-stream') {
        void response.body.dump();
        return throwError(() => new SseUnavailableError({ url, status: response.status, reason: 'content-type' }));
      }
      const encoding: SseDataEncoding =
        response.headers.get(Header.sseDataEncoding)?.trim().toLowerCase() === 'base64' ? 'base64' : 'text';
      return from(response.body.stream()).pipe(
        sseFrames(url, request.offset),
        map(({ data, control, from: at }) => {
          connection.seen = true;
          return {
            payload: format.fromSse(data, encoding, {
              url,
              at,
              closed: control.closed,
              jsonStream: learned.jsonStream ?? false,
            }),
            ...control,
          };
        }),
        // A connection that ends before any control event is not SSE working; it is never a silent success.
        throwIfEmpty(() => new SseUnavailableError({ url, reason: 'ended-early' })),
        // Cut off before its first event (a proxy that breaks streamed responses) is an early end too; parse errors stay what they are.
        catchError((error: unknown) =>
          throwError(() =>
            connection.seen || error instanceof DurableStreamError
              ? error
              : new SseUnavailableError({ url, reason: 'ended-early', cause: error }),
          ),
        ),
      );
    });

  return (request) => (request.kind === 'sse' ? sse(request) : plain(request));
}

const isSilence = (error: unknown): error is TimeoutError => error instanceof TimeoutError && error.phase === 'body';

/** A silent SSE connection, said as such. */
function sseSilence(url: string, error: TimeoutError): TimeoutError {
  return new TimeoutError({
    url,
    timeoutMs: error.timeoutMs,
    phase: 'body',
    cause: error,
    hint: 'The SSE connection went silent (no event, not even a keep-alive); it was closed, and the read goes on from its last offset',
  });
}
