import { InvalidArgumentError } from '../errors/client-errors.js';
import { resolveStreamUrl } from '../protocol/url.js';
import { defaultTransport } from '../transport/default-transport.js';
import { resolveClientOptions, type DurableStreamsClientOptions } from '../http/client-options.js';
import type { DurableStream } from '../http/stream-handle.js';
import { RequestExecutor } from '../http/request-executor.js';
import { registerClientExecutor } from '../http/client-executor.js';
import { newStream } from '../operations/new-stream.js';

/** Options of `client.stream()`. */
export interface StreamHandleOptions {
  /** The stream's content type, when known: saves a HEAD before the first append. */
  readonly contentType?: string;
}

/**
 * The entry point: holds the base URL, headers, params, retry policy and
 * transport shared by every stream handle it makes. Options are validated
 * here, so a bad option fails at construction, not at the first request.
 *
 * ```ts
 * const client = new DurableStreamsClient({ baseUrl: 'http://localhost:4437/v1/stream' });
 * appendJson(client.stream('chat/42'), { text: 'hi' }).subscribe();
 * ```
 */
export class DurableStreamsClient {
  private readonly http: RequestExecutor;

  constructor(options: DurableStreamsClientOptions = {}) {
    this.http = new RequestExecutor(resolveClientOptions(options, defaultTransport));
    registerClientExecutor(this, this.http);
  }

  /**
   * A handle on the stream at `urlOrPath` (relative to `baseUrl`, or absolute),
   * whose messages are `T`: `client.stream<Order>('orders')`. Without a type
   * argument, the untyped handle. No I/O.
   */
  stream<T = unknown>(urlOrPath: string, options: StreamHandleOptions = {}): DurableStream<T> {
    if (typeof urlOrPath !== 'string' || urlOrPath.trim() === '') {
      throw new InvalidArgumentError('stream(urlOrPath) needs a non-empty path or URL');
    }
    let url: string;
    try {
      url = resolveStreamUrl(this.http.options.baseUrl, urlOrPath);
    } catch (error) {
      throw new InvalidArgumentError((error as Error).message);
    }
    return newStream<T>(this.http, url, options.contentType);
  }
}
