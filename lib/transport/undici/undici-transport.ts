// First: keeps Node's own dispatcher behind its `fetch` (see the module).
import './node-dispatcher-first.js';
import { Agent, Client, errors as undiciErrors, type Dispatcher } from 'undici';
import { checkOptionsObject, mustBe } from '../../errors/argument-checks.js';
import { releasesSignals } from '../released-signals.js';
import type { HttpRequest, HttpResponse, HttpTransport } from '../http-transport.js';
import { dispatchRequest, NextTurn } from './dispatch-request.js';
import { startsRequestsVisibly } from './report-sent.js';
import { RequestTargets } from './request-target.js';

/** Options for {@link undiciTransport}. */
export interface UndiciTransportOptions {
  /**
   * Sockets per origin for one-shot operations and catch-up reads. Default
   * 16. Live reads (long-polls, SSE) are not counted: they go through a
   * pool of their own, without a cap, so they never make these requests wait.
   */
  readonly connections?: number;
  /** How long an idle socket is kept open, ms. Default 10 000. */
  readonly keepAliveTimeoutMs?: number;
  /**
   * Use this dispatcher (Agent, Pool, ProxyAgent, MockAgent) instead of
   * creating one; lanes and live reads then share it too, so give it room
   * (no `connections` cap) when it carries many live reads. One that is not
   * undici's own cannot be trusted to say when a request is sent: the
   * transport then does not report it (`reportsSent` false).
   */
  readonly dispatcher?: Dispatcher;
  /** Requests a lane may have on its connection at once (HTTP/1.1 pipelining). Default 8. */
  readonly lanePipelining?: number;
}

/** The undici transport, with `close()` to release its sockets. */
export interface UndiciTransport extends HttpTransport {
  /** Closes the pool's sockets once in-flight requests end. Calling it again returns the same promise. */
  close(): Promise<void>;
}

/**
 * The Node transport: undici's dispatchers with a response handler of our
 * own (see dispatch-request.ts) over a keep-alive pool per origin, and the
 * producer's requests pipelined in order on a lane (one connection).
 * Faster than `fetch` on Node (no WHATWG stream layer on the hot path); pass
 * it as `transport` to a client in Node services. Importing it changes no
 * process-wide state: Node's own `fetch` keeps its own dispatcher.
 * Long-lived requests (live reads) get a pool of their own without a cap,
 * and a request still waiting for a socket gives up as soon as its signal
 * aborts (unsubscribe, `timeoutMs`). It tells `request.onSent` when a
 * request leaves the queue for a connection (`reportsSent`), so a timeout
 * says whether the request was ever sent.
 */
export function undiciTransport(options: UndiciTransportOptions = {}): UndiciTransport {
  checkTransportOptions(options);
  const keepAliveTimeout = options.keepAliveTimeoutMs ?? 10_000;
  // Timeouts are the SDK's business (per operation), not the socket's.
  const socketOptions = { keepAliveTimeout, headersTimeout: 0, bodyTimeout: 0 };
  const dispatcher = options.dispatcher ?? new Agent({ connections: options.connections ?? 16, ...socketOptions });
  // Each live read holds its socket for as long as the server holds the request: capped, they would starve everything else.
  const live = options.dispatcher ? dispatcher : new Agent(socketOptions);
  const lanes = options.dispatcher
    ? undefined
    : new LaneClients((origin) => new Client(origin, { pipelining: options.lanePipelining ?? 8, ...socketOptions }));
  let closing: Promise<void> | undefined;
  const reportsSent = options.dispatcher === undefined || startsRequestsVisibly(options.dispatcher);
  const targets = new RequestTargets();
  const nextTurn = new NextTurn();
  // Not an async function: a long-poll keeps what its request holds while the server holds it (promoted, then
  // garbage in the old generation), and an async function's state is a larger object than this one promise.
  const send = (request: HttpRequest): Promise<HttpResponse> => {
    const { method, headers, body, signal } = request;
    const onSent = reportsSent ? request.onSent : undefined;
    try {
      const lane = request.lane === undefined ? undefined : lanes?.get(request.url, request.lane);
      if (lane) {
        // Straight to the lane's client, with the path it parsed once. Lane requests are repeat-safe and answered
        // at once (no long-poll): undici may pipeline them, in order, without waiting for each response's headers
        // (its default for anything but HEAD).
        const laneOptions = { path: lane.path, method, headers, body, idempotent: true, blocking: false };
        return dispatchRequest(lane.client, laneOptions, signal, onSent);
      }
      const { origin, path } = targets.of(request.url);
      const target = { origin, path, method, headers, body };
      // A live request sent as the answer to the one before it is read: undici frees that one's connection after
      // this turn of the event loop, and its pool would open another for the new request (1 000 long-polls kept
      // about 2 000 sockets). Started on the next turn, it reuses the connection.
      return request.longLived
        ? dispatchRequest(live, target, signal, onSent, nextTurn)
        : dispatchRequest(dispatcher, target, signal, onSent);
    } catch (error) {
      return Promise.reject(error);
    }
  };
  // Its handler stops listening to the signal when the response completes, fails or is given up.
  return releasesSignals({
    reportsSent,
    request: send,
    // undici refuses to close a closed dispatcher: every caller gets the first close.
    close: () =>
      (closing ??= Promise.all([
        dispatcher.close(),
        live === dispatcher ? undefined : live.close(),
        lanes?.close(),
      ]).then(() => undefined)),
  });
}

const MAX_LANES = 64;

/** A lane's client, and the path (with query) of the request's URL on its origin. */
interface LaneTarget {
  readonly client: Client;
  readonly path: string;
}

/**
 * One single-connection client per (origin, lane), the least recently used
 * closed (gracefully: in-flight requests finish) beyond {@link MAX_LANES}.
 */
class LaneClients {
  private readonly clients = new Map<string, Client>();
  private closed = false;
  /** The last URL seen, parsed (see {@link parse}). */
  private lastUrl = '';
  private lastOrigin = '';
  private lastPath = '';

  constructor(private readonly create: (origin: string) => Client) {}

  get(url: string, lane: string): LaneTarget {
    // After close(), as the shared pool does: refuse, rather than open a client nothing would close.
    if (this.closed) throw new undiciErrors.ClientClosedError();
    this.parse(url);
    const origin = this.lastOrigin;
    const key = `${origin} ${lane}`;
    let client = this.clients.get(key);
    if (client) {
      this.clients.delete(key); // re-insert: most recently used last
    } else {
      client = this.create(origin);
      if (this.clients.size >= MAX_LANES) {
        const [oldestKey, oldest] = this.clients.entries().next().value as [string, Client];
        this.clients.delete(oldestKey);
        void oldest.close();
      }
    }
    this.clients.set(key, client);
    return { client, path: this.lastPath };
  }

  /** A lane's requests go to one URL: parsed once, not per request. */
  private parse(url: string): void {
    if (url === this.lastUrl) return;
    const parsed = new URL(url);
    this.lastOrigin = parsed.origin;
    this.lastPath = parsed.pathname + parsed.search;
    this.lastUrl = url;
  }

  async close(): Promise<void> {
    this.closed = true;
    const clients = [...this.clients.values()];
    this.clients.clear();
    await Promise.all(clients.map((client) => client.close()));
  }
}

/** The options' checks, at the call: an object of whole numbers where counts go, a dispatcher that dispatches. */
function checkTransportOptions(options: UndiciTransportOptions): void {
  checkOptionsObject(options);
  for (const name of ['connections', 'lanePipelining'] as const) {
    const value = options[name];
    if (value !== undefined && !(Number.isInteger(value) && value >= 1))
      throw mustBe(name, 'a whole number >= 1', value);
  }
  const { keepAliveTimeoutMs, dispatcher } = options;
  if (keepAliveTimeoutMs !== undefined && !(Number.isFinite(keepAliveTimeoutMs) && keepAliveTimeoutMs > 0))
    throw mustBe('keepAliveTimeoutMs', 'a positive number of milliseconds', keepAliveTimeoutMs);
  if (dispatcher !== undefined && typeof (dispatcher as Partial<Dispatcher> | null)?.dispatch !== 'function')
    throw mustBe('dispatcher', 'an undici Dispatcher (an Agent, a Pool, a MockAgent)', dispatcher);
}
