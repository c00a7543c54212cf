import { checkOptionsObject, mustBe } from '../../errors/argument-checks.js';
import type { HttpBody, HttpHeaders, HttpRequest, HttpResponse, HttpTransport } from '../http-transport.js';

/** Options for {@link fetchTransport}. */
export interface FetchTransportOptions {
  /** The `fetch` to use; defaults to the global one. */
  readonly fetch?: typeof globalThis.fetch;
  /**
   * Passed to every request (e.g. `'include'` for cookies across origins).
   * Spelled out rather than the DOM's `RequestCredentials`, so a Node
   * project without the DOM library type-checks our declarations.
   */
  readonly credentials?: 'omit' | 'same-origin' | 'include';
}

/** A transport over WHATWG `fetch`: browsers, Deno, Bun, or Node's global fetch. Options are checked at the call. */
export function fetchTransport(options: FetchTransportOptions = {}): HttpTransport {
  checkOptionsObject(options);
  if (options.fetch !== undefined && typeof options.fetch !== 'function')
    throw mustBe('fetch', 'a function', options.fetch);
  return uncheckedFetchTransport(options);
}

/**
 * {@link fetchTransport} without the checks of its options, for the default
 * transport (which has none): a bundle that never calls `fetchTransport()`
 * itself does not carry them.
 */
export function uncheckedFetchTransport(options: FetchTransportOptions = {}): HttpTransport {
  return {
    async request(request: HttpRequest): Promise<HttpResponse> {
      const doFetch = options.fetch ?? globalThis.fetch;
      const response = await doFetch(request.url, {
        method: request.method,
        headers: request.headers,
        body: request.body as BodyInit | undefined,
        signal: request.signal,
        // Absent (undefined) is fetch's default, 'follow'.
        redirect: request.redirect,
        ...(options.credentials ? { credentials: options.credentials } : {}),
      });
      return { status: response.status, headers: fetchHeaders(response.headers), body: fetchBody(response) };
    },
  };
}

function fetchHeaders(headers: Headers): HttpHeaders {
  return { get: (name) => headers.get(name), entries: () => headers.entries() };
}

function fetchBody(response: Response): HttpBody {
  return {
    bytes: async () => new Uint8Array(await response.arrayBuffer()),
    text: () => response.text(),
    stream: () => readAll(response),
    dump: async () => {
      if (!response.bodyUsed) await response.body?.cancel().catch(() => undefined);
    },
  };
}

async function* readAll(response: Response): AsyncGenerator<Uint8Array> {
  const body = response.body;
  if (!body) return;
  const reader = body.getReader();
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) return;
      yield value;
    }
  } finally {
    // Runs when the consumer stops early too: frees the connection.
    await reader.cancel().catch(() => undefined);
  }
}
