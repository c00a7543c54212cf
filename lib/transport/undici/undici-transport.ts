import { Agent, request as undiciRequest, type Dispatcher } from 'undici';
import type { HttpBody, HttpRequest, HttpResponse, HttpTransport } from '../http-transport.js';

/** Options for {@link undiciTransport}. */
export interface UndiciTransportOptions {
  /** Keep-alive sockets per origin. Default 16. */
  readonly connections?: number;
  /** How long an idle socket is kept open, ms. Default 10 000. */
  readonly keepAliveTimeoutMs?: number;
  /** Use this dispatcher (Agent, Pool, ProxyAgent, MockAgent) instead of creating one. */
  readonly dispatcher?: Dispatcher;
}

/** The undici transport, with `close()` to release its sockets. */
export interface UndiciTransport extends HttpTransport {
  /** Closes the pool's sockets once in-flight requests end. */
  close(): Promise<void>;
}

/**
 * The Node transport: undici's `request()` over a keep-alive pool per origin.
 * Faster than `fetch` on Node (no WHATWG stream layer on the hot path).
 */
export function undiciTransport(options: UndiciTransportOptions = {}): UndiciTransport {
  const dispatcher =
    options.dispatcher ??
    new Agent({
      connections: options.connections ?? 16,
      keepAliveTimeout: options.keepAliveTimeoutMs ?? 10_000,
      // Timeouts are the SDK's business (per operation), not the socket's.
      headersTimeout: 0,
      bodyTimeout: 0,
    });
  return {
    async request(request: HttpRequest): Promise<HttpResponse> {
      const response = await undiciRequest(request.url, {
        method: request.method,
        headers: request.headers,
        body: request.body,
        signal: request.signal,
        dispatcher,
      });
      const headers = response.headers;
      return {
        status: response.statusCode,
        headers: {
          get: (name) => headerValue(headers[name]),
          entries: () => headerEntries(headers),
        },
        body: undiciBody(response.body),
      };
    },
    close: () => dispatcher.close(),
  };
}

type UndiciBody = Dispatcher.ResponseData['body'];

function undiciBody(body: UndiciBody): HttpBody {
  return {
    bytes: async () => new Uint8Array(await body.arrayBuffer()),
    text: () => body.text(),
    stream: () => body as AsyncIterable<Uint8Array>,
    dump: async () => {
      await body.dump().catch(() => undefined);
    },
  };
}

function headerValue(value: string | string[] | undefined): string | null {
  if (value === undefined) return null;
  return Array.isArray(value) ? value.join(', ') : value;
}

function* headerEntries(headers: Record<string, string | string[] | undefined>): Iterable<[string, string]> {
  for (const [name, value] of Object.entries(headers)) {
    const joined = headerValue(value);
    if (joined !== null) yield [name, joined];
  }
}
