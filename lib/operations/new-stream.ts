import type { RequestExecutor } from '../http/request-executor.js';
import { streamContext } from '../http/stream-context.js';
import { newStreamHandle, type DurableStream, type StreamInternals } from '../http/stream-handle.js';
import { learnContentType } from './head-stream.js';

/** A handle on `url`, its requests run by `http`; `contentType` when known saves a HEAD before the first append. */
export function newStream<T = unknown>(http: RequestExecutor, url: string, contentType?: string): DurableStream<T> {
  const internals: StreamInternals = {
    knownContentType: contentType,
    context: streamContext(url, http, (options) => learnContentType(internals, options)),
  };
  return newStreamHandle<T>(url, internals);
}
