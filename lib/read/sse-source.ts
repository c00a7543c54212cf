import { catchError, defer, from, Observable, switchMap, take, tap, throwError } from 'rxjs';
import type { TimeoutError } from '../errors/client-errors.js';
import type { DurableStreamError } from '../errors/durable-stream-error.js';
import type { isJsonContentType, mediaType } from '../protocol/content-type.js';
import type { Header } from '../protocol/headers.js';
import type { HttpResponse } from '../transport/http-transport.js';
import type { parseJsonArray } from './json-array-text.js';
import type { LearnedContentType } from './http-read-source.js';
import { decodeBase64 } from './base64.js';
import type { PayloadContext, PayloadFormat, SseData } from './payload-format.js';
import type { ReadRequest, ReadStep } from './read-step.js';
import type { SseErrorTypes } from './sse-events.js';
import { sseFrames } from './sse-frames.js';
import { jsonItemsOfSse } from './sse-json.js';
import type { SseUnavailableError } from './sse-unavailable-error.js';

/**
 * What the read path lends the code of SSE connections, which loads in a
 * lazy chunk that imports none of its modules (see live-code.ts): the typed
 * errors, the protocol's header names, how a media type is read, and how a
 * JSON array text is parsed.
 */
export interface SseLoan extends SseErrorTypes {
  readonly DurableStreamError: typeof DurableStreamError;
  readonly TimeoutError: typeof TimeoutError;
  readonly SseUnavailableError: typeof SseUnavailableError;
  readonly Header: typeof Header;
  readonly mediaType: typeof mediaType;
  readonly isJsonContentType: typeof isJsonContentType;
  readonly parseJsonArray: typeof parseJsonArray;
}

/** What one read's SSE connections need of the read. */
export interface SseRead<P> {
  /** The stream's URL, without its query (errors name it). */
  readonly url: string;
  readonly format: PayloadFormat<P>;
  /** What the read learned of the content type; byte and text reads decode data events by it. */
  readonly learned: LearnedContentType;
  /** Sends `request` and consumes its response with `consume` (the executor's attempt with the read's request spec). */
  readonly send: (
    request: ReadRequest,
    consume: (response: HttpResponse) => Observable<ReadStep<P>>,
  ) => Observable<ReadStep<P>>;
  /** Learns the stream's content type with a HEAD carrying the request's headers and params; absent where decoding does not need it. */
  readonly learnContentType?: ((request: ReadRequest) => Observable<string>) | undefined;
}

/**
 * How a read opens an SSE connection: one step per control event, with
 * the data events before it (`sseFrames`). SSE's own failure modes are told
 * as `SseUnavailableError` (a wrong content type, an end or a silence
 * before the first event: a proxy that buffers or breaks streamed
 * responses), which `'auto'` reads fall back from; a connection that goes
 * silent after events is a `TimeoutError` that says so.
 */
export function sseConnection<P>(read: SseRead<P>, loan: SseLoan): (request: ReadRequest) => Observable<ReadStep<P>> {
  const { url, format, learned } = read;
  const { SseUnavailableError, TimeoutError, Header } = loan;
  // The JSON format leaves its SSE data to this code (see `PayloadFormat.fromSse`): then P is the items.
  const decode =
    format.fromSse ??
    ((data: SseData, context: PayloadContext) => jsonItemsOfSse(data, context, loan.parseJsonArray) as P);

  const steps = (response: HttpResponse, request: ReadRequest, connection: { seen: boolean }) =>
    defer(() => {
      if (loan.mediaType(response.headers.get(Header.contentType) ?? undefined) !== 'text/event-stream') {
        void response.body.dump();
        return throwError(() => new SseUnavailableError({ url, status: response.status, reason: 'content-type' }));
      }
      const base64 = response.headers.get(Header.sseDataEncoding)?.trim().toLowerCase() === 'base64';
      const frames = from(response.body.stream()).pipe(sseFrames(url, request.offset, loan));
      // One subscriber over the frames (a live tail keeps it for as long as it reads), as `map`, `throwIfEmpty` and `catchError` would be.
      return new Observable<ReadStep<P>>((subscriber) => {
        let stepped = false;
        // Cut off before its first event (a proxy that breaks streamed responses) is an early end; parse errors stay what they are.
        const fail = (error: unknown) =>
          subscriber.error(
            connection.seen || error instanceof loan.DurableStreamError
              ? error
              : new SseUnavailableError({ url, reason: 'ended-early', cause: error }),
          );
        return frames.subscribe({
          next: ({ data, control, from: at }) => {
            connection.seen = stepped = true;
            let step: ReadStep<P>;
            try {
              const context = { url, at, closed: control.closed, jsonStream: learned.jsonStream ?? false };
              const events: SseData = base64
                ? { bytes: data.map((text) => decodeBase64(text, url, at, loan)) }
                : { text: data };
              step = { payload: decode(events, context), ...control };
            } catch (error) {
              fail(error);
              return;
            }
            subscriber.next(step);
          },
          error: fail,
          // A connection that ends before any control event is not SSE working; it is never a silent success.
          complete: () =>
            stepped ? subscriber.complete() : fail(new SseUnavailableError({ url, reason: 'ended-early' })),
        });
      });
    });

  /** A silent SSE connection, said as such. */
  const silence = (error: TimeoutError) =>
    new TimeoutError({
      url,
      timeoutMs: error.timeoutMs,
      phase: 'body',
      cause: error,
      hint: 'The SSE connection went silent (no event, not even a keep-alive); it was closed, and the read goes on from its last offset',
    });

  return (request) =>
    defer(() => {
      const connection = { seen: false };
      const send = () => read.send(request, (response) => steps(response, request, connection));
      // Byte and text reads decode SSE data by the stream's content type; learn it once, only if no response told it.
      // Where it is known (or not needed), no operator waits for it: a live tail keeps its connection's as long as it reads.
      const sent =
        !read.learnContentType || learned.jsonStream !== undefined
          ? send()
          : read.learnContentType(request).pipe(
              take(1),
              tap((contentType) => (learned.jsonStream = loan.isJsonContentType(contentType))),
              switchMap(send),
            );
      return sent.pipe(
        // Silent from the start is SSE not getting through (a buffering proxy); silent after events, a connection gone quiet.
        catchError((error: unknown) =>
          throwError(() =>
            !(error instanceof TimeoutError && error.phase === 'body')
              ? error
              : connection.seen
                ? silence(error)
                : new SseUnavailableError({ url, reason: 'no-event', cause: error }),
          ),
        ),
      );
    });
}
