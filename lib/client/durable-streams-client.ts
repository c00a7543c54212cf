import { InvalidArgumentError } from '../errors/client-errors.js';
import { resolveStreamUrl } from '../protocol/url.js';
import { defaultTransport } from '../transport/default-transport.js';
import { resolveClientOptions, type DurableStreamsClientOptions, type ResolvedClientOptions } from '../http/client-options.js';
import { DurableStream, type StreamHandleOptions } from './durable-stream.js';
import { RequestExecutor } from '../http/request-executor.js';
import { registerClientExecutor } from '../http/client-executor.js';

/**
 * The entry point: holds the base URL, headers, params, retry policy and
 * transport shared by every stream handle it makes. Options are validated
 * here, so a bad option fails at construction, not at the first request.
 *
 * ```ts
 * const client = new DurableStreamsClient({ baseUrl: 'http://localhost:4437/v1/stream' });
 * client.stream('chat/42').appendJson({ text: 'hi' }).subscribe();
 * ```
 */
export class DurableStreamsClient {
  /** The validated options, defaults filled in. */
  readonly options: ResolvedClientOptions;
  private readonly http: RequestExecutor;

  constructor(options: DurableStreamsClientOptions = {}) {
    this.options = resolveClientOptions(options, defaultTransport);
    this.http = new RequestExecutor(this.options);
    registerClientExecutor(this, this.http);
  }

  /** A handle on the stream at `urlOrPath` (relative to `baseUrl`, or absolute). No I/O. */
  stream(urlOrPath: string, options: StreamHandleOptions = {}): DurableStream {
    if (typeof urlOrPath !== 'string' || urlOrPath.trim() === '') {
      throw new InvalidArgumentError('stream(urlOrPath) needs a non-empty path or URL');
    }
    let url: string;
    try {
      url = resolveStreamUrl(this.options.baseUrl, urlOrPath);
    } catch (error) {
      throw new InvalidArgumentError((error as Error).message);
    }
    return new DurableStream(this.http, url, options);
  }
}
