/** One HTTP request, as the SDK hands it to a transport. */
export interface HttpRequest {
  /** The HTTP method. */
  readonly method: 'GET' | 'HEAD' | 'PUT' | 'POST' | 'DELETE';
  /** The absolute URL, query included. */
  readonly url: string;
  /** Header names lower-case. */
  readonly headers: Readonly<Record<string, string>>;
  /** The request body, if any: bytes, or text sent as UTF-8. */
  readonly body?: Uint8Array | string;
  /** Aborts the request and its body stream: the transport must honour it at once. */
  readonly signal: AbortSignal;
  /**
   * Requests that share a lane must reach the server in the order they are
   * issued, and are safe to repeat (an idempotent producer's, which the
   * server deduplicates). A transport that can keeps their order by writing
   * them, pipelined, on one connection (undici does); others may ignore it.
   */
  readonly lane?: string;
  /**
   * The request may stay open for a long time: a long-poll the server holds
   * until data arrives, or an SSE connection. A transport with a capped
   * connection pool must not let other requests wait behind it (undici sends
   * it through a dispatcher of its own, without a cap); others may ignore it.
   */
  readonly longLived?: boolean;
  /**
   * `'manual'`: the transport must not follow redirects: a 3xx comes back
   * as the response, and the SDK decides (the webhook key-set fetch follows
   * only same-origin ones, so a redirect cannot swap in another origin's
   * keys). Absent: the transport's own behaviour (`fetch` follows, undici
   * does not).
   */
  readonly redirect?: 'manual';
  /**
   * A transport that can tell calls this once the request has a connection
   * and is being written to it (it left the transport's queue). Errors then
   * say whether a timeout was spent waiting for a connection or for the
   * server. See {@link HttpTransport.reportsSent}.
   */
  readonly onSent?: () => void;
}

/** Response headers, read by lower-case name. */
export interface HttpHeaders {
  /** The value of the header `name` (any case), or null when absent. */
  get(name: string): string | null;
  /** Every header, names lower-case. */
  entries(): Iterable<[string, string]>;
}

/** A response body, consumed once by exactly one of these. */
export interface HttpBody {
  /** The whole body as bytes. */
  bytes(): Promise<Uint8Array>;
  /** The whole body decoded as UTF-8. */
  text(): Promise<string>;
  /** The body as it arrives. Breaking out of the loop releases the connection. */
  stream(): AsyncIterable<Uint8Array>;
  /** Discards the body, freeing the connection. Safe to call after consumption. */
  dump(): Promise<void>;
}

/** A response whose headers have arrived; the body may still be streaming. */
export interface HttpResponse {
  /** The HTTP status code. */
  readonly status: number;
  /** The response headers. */
  readonly headers: HttpHeaders;
  /** The body, read once, by one of its methods. */
  readonly body: HttpBody;
}

/**
 * The seam under everything, like Angular's `HttpBackend`: one request in,
 * status, headers and a streamed body out. Implementations: `fetchTransport`
 * (any `fetch`; the default) and `undiciTransport` (Node, from
 * `durable-streams-rx/undici`).
 *
 * A transport rejects with the platform's error on network failure; the SDK
 * maps it to a `NetworkError`. It never throws on HTTP error statuses.
 */
export interface HttpTransport {
  /** Sends `request`; resolves once the response headers have arrived (the body may still be streaming), rejects on network failure only. */
  request(request: HttpRequest): Promise<HttpResponse>;
  /**
   * True when this transport calls `request.onSent` for every request it
   * sends: until it does, a request is known to be waiting for a connection.
   * Otherwise the SDK cannot tell that wait from the server's, and says so.
   */
  readonly reportsSent?: boolean;
}
