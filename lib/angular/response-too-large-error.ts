import { DurableStreamError } from '../index.js';

/**
 * A response was larger than Angular's `HttpClient` would take, and was cut:
 * Angular's fetch backend buffers at most `maxResponseBodySize` bytes of a
 * response during server rendering (1 MiB unless configured; Angular 22 and
 * later, error NG02825). Raised by `withHttpClientTransport()`.
 *
 * A whole response (a catch-up, a long-poll) was cut before anything of it was
 * delivered: not retried, as the same response would be cut again. The read
 * fails with it (a `streamResource()`'s status is `'error'`), and during a
 * server render it is also reported to Angular's `ErrorHandler` (the console,
 * by default), so a render never comes out empty in silence. A streamed SSE
 * response was cut after what it delivered: retried, so the read reconnects
 * from there and reads on. See docs/angular.md.
 */
export class ResponseTooLargeError extends DurableStreamError {
  override name = 'ResponseTooLargeError';
  /** The limit the response exceeded, bytes, when Angular tells it. */
  readonly limitBytes: number | undefined;
  /** Whether the response was streamed (SSE): cut after what it delivered, and retried. */
  readonly streamed: boolean;
  constructor(init: {
    readonly url: string;
    readonly limitBytes: number | undefined;
    readonly streamed: boolean;
    readonly cause: unknown;
  }) {
    const limit = init.limitBytes === undefined ? 'its limit' : `${init.limitBytes} bytes`;
    super(
      'RESPONSE_TOO_LARGE',
      init.streamed
        ? `A streamed response reached Angular's HttpClient limit on response bodies (NG02825: ${limit}) and was cut there`
        : `A response is larger than Angular's HttpClient accepts (NG02825: over ${limit}); ` +
            'it was cut, and nothing of it was delivered',
      {
        url: init.url,
        hint:
          "On the server, Angular's fetch backend buffers at most `maxResponseBodySize` bytes of a response: raise it " +
          'with provideServerRendering({ maxResponseBodySize }) (@angular/ssr or @angular/platform-server) above the ' +
          "largest catch-up a render reads, or let the server read with the SDK's own transport (withFetchTransport()), " +
          'which streams',
        cause: init.cause,
      },
    );
    this.limitBytes = init.limitBytes;
    this.streamed = init.streamed;
  }

  /** A streamed response is retried from where it was cut; a whole one would be cut again. */
  override get isRetryable(): boolean {
    return this.streamed;
  }
}
