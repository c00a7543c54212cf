import type { Observable } from 'rxjs';
import type { RequestOptions } from '../http/stream-context.js';
import type { DurableStream } from '../http/stream-handle.js';
import { oneShot, operationOn } from './one-shot.js';

/** Options of {@link deleteStream}. */
export interface DeleteStreamOptions extends RequestOptions {}

/** Deletes the stream and its data (DELETE). Not retried after a failure the server may have applied. Cold. */
export function deleteStream(stream: DurableStream, options: DeleteStreamOptions = {}): Observable<void> {
  const internals = operationOn(stream, options);
  return oneShot(
    internals,
    () => ({ method: 'DELETE', url: stream.url }),
    options,
    () => undefined,
    'unsafe',
  );
}
