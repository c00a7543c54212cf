import type { ClientRuntime } from '../http/client-runtime.js';
import { streamContext } from '../http/stream-context.js';
import { newStreamHandle, type DurableStream, type StreamInternals } from '../http/stream-handle.js';
import { learnContentType } from './head-stream.js';

/** A handle on `url` of the client whose runtime is `runtime`; `contentType` when known saves a HEAD before the first append. */
export function newStream<T = unknown>(runtime: ClientRuntime, url: string, contentType?: string): DurableStream<T> {
  const internals: StreamInternals = {
    knownContentType: contentType,
    context: streamContext(url, runtime, (options) => learnContentType(internals, options)),
  };
  return newStreamHandle<T>(url, internals);
}
