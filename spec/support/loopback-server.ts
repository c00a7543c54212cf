import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { HttpTransport } from '../../lib/index';
import { until } from './until';

/** One request as the server saw it. */
export interface SeenRequest {
  readonly method: string;
  /** Path and query, exactly as the client sent them. */
  readonly url: string;
  readonly headers: http.IncomingHttpHeaders;
  /** The client's port: requests with the same one came on the same connection. */
  readonly port: number;
  readonly startedAt: number;
  /** When the response closed (finished, or the client went away), if it has. */
  closedAt?: number;
  /** The client went away before the response was complete: it aborted. */
  aborted?: boolean;
}

/** Answers a request here (returns true), or leaves it to the server's default (returns false). */
export type Intercept = (req: http.IncomingMessage, res: http.ServerResponse) => boolean;

/**
 * The one HTTP double that listens on a socket: a server on a free loopback
 * port that records every request (and whether the client aborted it) and
 * answers as each test says. Given a `proxyTo` origin, what a test does not
 * answer itself goes on to that server (the reference server), so a test
 * can refuse SSE, hold a response or demand a token in front of the real
 * thing; without one, an empty 200.
 *
 * For exact wire shapes without a socket, see `wire-doubles.ts`.
 */
export class LoopbackServer {
  readonly requests: SeenRequest[] = [];
  /** Connections clients opened so far. */
  connections = 0;
  intercept: Intercept = () => false;
  private readonly server: http.Server;
  private readonly open = new Map<SeenRequest, () => void>();

  constructor(private readonly proxyTo?: string) {
    this.server = http.createServer((req, res) => this.handle(req, res));
    this.server.on('connection', () => this.connections++);
  }

  /** Answers every request with `handler` (instead of the default). */
  answer(handler: (req: http.IncomingMessage, res: http.ServerResponse) => void): void {
    this.intercept = (req, res) => {
      handler(req, res);
      return true;
    };
  }

  /** Listens; resolves with the origin, `http://127.0.0.1:<port>`. */
  async start(): Promise<string> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  /** Closes every connection, held ones included, and the server. */
  async stop(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  /** Requests whose URL matches. */
  matching(pattern: RegExp): SeenRequest[] {
    return this.requests.filter((request) => pattern.test(request.url));
  }

  /** Resolves when `count` requests matching `pattern` have arrived. */
  async waitFor(pattern: RegExp, count = 1, timeoutMs = 5_000): Promise<SeenRequest> {
    await until(
      () => this.matching(pattern).length >= count,
      `a request matching ${pattern}; saw ${this.requests.map((r) => r.url).join(', ')}`,
      timeoutMs,
    );
    return this.matching(pattern)[count - 1];
  }

  /** Ends the open responses whose URL matches, cleanly, as a server ends an SSE connection. */
  endOpen(pattern: RegExp): number {
    let ended = 0;
    for (const [record, end] of this.open) {
      if (pattern.test(record.url)) {
        end();
        ended += 1;
      }
    }
    return ended;
  }

  private handle(req: http.IncomingMessage, res: http.ServerResponse): void {
    const record: SeenRequest = {
      method: req.method ?? 'GET',
      url: req.url ?? '/',
      headers: req.headers,
      port: req.socket.remotePort ?? 0,
      startedAt: Date.now(),
    };
    this.requests.push(record);
    this.open.set(record, () => res.end());
    res.on('close', () => {
      this.open.delete(record);
      record.closedAt = Date.now();
      record.aborted = !res.writableFinished;
    });
    if (this.intercept(req, res)) return;
    if (this.proxyTo === undefined) {
      req.resume();
      res.end();
      return;
    }
    // Asked to end before the upstream answered: ended once it has (a server cannot end a response it has not begun).
    let endRequested = false;
    this.open.set(record, () => (endRequested = true));
    const upstream = http.request(
      `${this.proxyTo}${req.url ?? '/'}`,
      { method: req.method, headers: req.headers },
      (upstreamRes) => {
        res.writeHead(upstreamRes.statusCode ?? 502, upstreamRes.headers);
        upstreamRes.pipe(res);
        const end = () => {
          upstreamRes.unpipe(res);
          upstreamRes.destroy();
          res.end();
        };
        if (endRequested) end();
        else if (this.open.has(record)) this.open.set(record, end);
      },
    );
    upstream.on('error', () => res.destroy());
    // A client that goes away takes its upstream request with it, as a real proxy would.
    res.on('close', () => upstream.destroy());
    req.pipe(upstream);
  }
}

/** What {@link useLoopbackServer} gives a `describe` block; `base` and `transport` are set once its tests run. */
export interface LoopbackFixture {
  readonly server: LoopbackServer;
  /** The server's origin. */
  base: string;
  transport: HttpTransport & { close?: () => Promise<void> };
}

/**
 * A {@link LoopbackServer} and a transport made by `makeTransport` for the
 * enclosing `describe`: started before its tests, closed after them; the
 * request log and any `intercept` are cleared before each test.
 */
export function useLoopbackServer(
  makeTransport: () => HttpTransport & { close?: () => Promise<void> },
): LoopbackFixture {
  const fixture = {
    server: new LoopbackServer(),
    base: '',
    transport: undefined as unknown as LoopbackFixture['transport'],
  };
  beforeAll(async () => {
    fixture.base = await fixture.server.start();
    fixture.transport = makeTransport();
  });
  afterAll(async () => {
    await fixture.transport.close?.();
    await fixture.server.stop();
  });
  beforeEach(() => {
    fixture.server.requests.length = 0;
    fixture.server.intercept = () => false;
  });
  return fixture;
}
