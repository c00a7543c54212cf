import { catchError, defer, map, of, shareReplay, switchMap, tap, throwError, type Observable } from 'rxjs';
import { StreamNotFoundError } from '../errors/http-errors.js';
import type { RequestOptions, StreamContext } from '../http/stream-context.js';
import type { DurableStream, StreamInternals } from '../http/stream-handle.js';
import { DEFAULT_CONTENT_TYPE } from './create.js';
import { oneShot, operationOn } from './one-shot.js';
import { metadataFromHeaders, type StreamMetadata } from './stream-metadata.js';

/** Options of {@link headStream} and {@link streamExists}. */
export interface HeadStreamOptions extends RequestOptions {}

/** The stream's metadata (HEAD): tail offset, content type, expiry, closure. Cold. */
export function headStream(stream: DurableStream, options: HeadStreamOptions = {}): Observable<StreamMetadata> {
  return head(operationOn(stream, options), options);
}

/** Whether the stream exists (HEAD): true, false on 404; other failures are errors. Cold. */
export function streamExists(stream: DurableStream, options: HeadStreamOptions = {}): Observable<boolean> {
  return headStream(stream, options).pipe(
    map(() => true),
    catchError((error: unknown) => (error instanceof StreamNotFoundError ? of(false) : throwError(() => error))),
  );
}

/** A HEAD that remembers the content type it tells. */
function head(stream: StreamInternals, options: RequestOptions): Observable<StreamMetadata> {
  return oneShot(
    stream,
    () => ({ method: 'HEAD', url: stream.context.url }),
    options,
    (response) => {
      const metadata = metadataFromHeaders(response.headers);
      if (metadata.contentType) stream.context.contentType.value = metadata.contentType;
      return metadata;
    },
    'idempotent',
    'head',
  );
}

/**
 * The stream's content type: given, remembered, or learned with one HEAD
 * (shared by concurrent callers). A caller's own headers and params (its
 * credentials) go on its own HEAD, which is not shared. The operations that
 * need it ask (appends, the producer, byte and text reads over SSE), so a
 * bundle without them does not carry it.
 */
export function learnContentType(
  context: StreamContext,
  options?: Pick<RequestOptions, 'headers' | 'params'>,
): Observable<string> {
  const known = context.contentType;
  if (known.value) return of(known.value);
  const learn = (headOptions: RequestOptions = {}) =>
    head({ context }, headOptions).pipe(map((metadata) => metadata.contentType ?? DEFAULT_CONTENT_TYPE));
  if (options?.headers || options?.params) return learn(options);
  known.learning ??= learn().pipe(
    tap({ error: () => (known.learning = undefined) }),
    shareReplay({ bufferSize: 1, refCount: true }),
  );
  return known.learning;
}

/** Runs `next` with the content type: the override, or the stream's (learned with the call's own headers and params). */
export function withContentType<T>(
  stream: StreamInternals,
  override: string | undefined,
  options: RequestOptions,
  next: (contentType: string) => Observable<T>,
): Observable<T> {
  return defer(() => (override ? next(override) : learnContentType(stream.context, options).pipe(switchMap(next))));
}
