import { checkOptionsObject, mustBe } from '../errors/argument-checks.js';
import { InvalidArgumentError } from '../errors/client-errors.js';
import { resolveStreamUrl } from '../protocol/url.js';
import { defaultTransport } from '../transport/default-transport.js';
import { resolveClientOptions, type DurableStreamsClientOptions } from '../http/client-options.js';
import type { DurableStream } from '../http/stream-handle.js';
import { clientRuntime, type ClientRuntime } from '../http/client-runtime.js';
import { newStream } from '../operations/new-stream.js';
import { checkContentType } from '../operations/validate.js';

/** Options of `client.stream()`. */
export interface StreamHandleOptions {
  /** The stream's content type, when known: saves a HEAD before the first append. */
  readonly contentType?: string;
}

/**
 * Internal, exported from no entry: the runtime of a client made by this
 * SDK (the subscriptions entry builds on it), undefined for anything else.
 * The one reader of the client's private field besides the client itself:
 * nothing of the runtime is on the client's public surface, and no table
 * outside the client holds it. (A `#private` field would need a static
 * block that every bundle with a client keeps; this function is shaken
 * out of bundles that never ask.)
 */
export function clientRuntimeOf(client: unknown): ClientRuntime | undefined {
  return client instanceof DurableStreamsClient ? (client as unknown as { runtime: ClientRuntime }).runtime : undefined;
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
  /** Everything the client's streams share; reached by the SDK's other entries through {@link clientRuntimeOf}. */
  private readonly runtime: ClientRuntime;

  constructor(options: DurableStreamsClientOptions = {}) {
    this.runtime = clientRuntime(resolveClientOptions(options, defaultTransport));
  }

  /**
   * A handle on the stream at `urlOrPath` (relative to `baseUrl`, or absolute),
   * whose messages are `T`: `client.stream<Order>('orders')`. Without a type
   * argument, the untyped handle. No I/O.
   */
  stream<T = unknown>(urlOrPath: string, options: StreamHandleOptions = {}): DurableStream<T> {
    if (typeof urlOrPath !== 'string' || urlOrPath.trim() === '') {
      throw mustBe('stream(urlOrPath): urlOrPath', 'a non-empty path (relative to baseUrl) or URL', urlOrPath);
    }
    checkOptionsObject(options);
    checkContentType(options.contentType, '');
    let url: string;
    try {
      url = resolveStreamUrl(this.runtime.options.baseUrl, urlOrPath);
    } catch (error) {
      throw new InvalidArgumentError((error as Error).message);
    }
    return newStream<T>(this.runtime, url, options.contentType);
  }
}
