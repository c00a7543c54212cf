import { catchError, map, of, shareReplay, tap, throwError, type Observable } from 'rxjs';
import { StreamNotFoundError } from '../errors/http-errors.js';
import type { RequestOptions } from '../http/stream-context.js';
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
      if (metadata.contentType) stream.knownContentType = metadata.contentType;
      return metadata;
    },
    'idempotent',
    'head',
  );
}

/**
 * The stream's content type: given, remembered, or learned with one HEAD
 * (shared by concurrent callers). A caller's own headers and params (its
 * credentials) go on its own HEAD, which is not shared.
 */
export function learnContentType(
  stream: StreamInternals,
  options?: Pick<RequestOptions, 'headers' | 'params'>,
): Observable<string> {
  if (stream.knownContentType) return of(stream.knownContentType);
  const learn = (headOptions: RequestOptions = {}) =>
    head(stream, headOptions).pipe(map((metadata) => metadata.contentType ?? DEFAULT_CONTENT_TYPE));
  if (options?.headers || options?.params) return learn(options);
  stream.learning ??= learn().pipe(
    tap({ error: () => (stream.learning = undefined) }),
    shareReplay({ bufferSize: 1, refCount: true }),
  );
  return stream.learning;
}
