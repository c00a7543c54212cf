import type { ClientRuntime } from '../http/client-runtime.js';
import { streamContext } from '../http/stream-context.js';
import { newStreamHandle, type DurableStream } from '../http/stream-handle.js';

/** A handle on `url` of the client whose runtime is `runtime`; `contentType` when known saves a HEAD before the first append. */
export function newStream<T = unknown>(runtime: ClientRuntime, url: string, contentType?: string): DurableStream<T> {
  return newStreamHandle<T>(url, { context: streamContext(url, runtime, contentType) });
}
