import http from 'node:http';
import type { AddressInfo } from 'node:net';

/** One request as the proxy saw it. */
export interface ProxiedRequest {
  readonly method: string;
  /** Path and query, exactly as the client sent them. */
  readonly url: string;
  readonly headers: http.IncomingHttpHeaders;
  readonly startedAt: number;
  /** When the client's connection for this request closed, if it has. */
  closedAt?: number;
  /** The client went away before the response was complete: it aborted. */
  aborted?: boolean;
}

/** Decides what to do with a request: answer it here (return true) or let it through. */
export type Intercept = (req: http.IncomingMessage, res: http.ServerResponse) => boolean;

/**
 * A tiny HTTP proxy in front of the reference server. It records every
 * request and whether the client aborted it, and lets a test answer some
 * requests itself (refuse SSE, hold a response, demand a token).
 */
export class TestProxy {
  readonly requests: ProxiedRequest[] = [];
  intercept: Intercept = () => false;
  private readonly server: http.Server;
  private readonly open = new Map<ProxiedRequest, () => void>();
  private port = 0;

  constructor(private readonly target: string) {
    this.server = http.createServer((req, res) => this.handle(req, res));
  }

  async start(): Promise<string> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.port = (this.server.address() as AddressInfo).port;
    return `http://127.0.0.1:${this.port}`;
  }

  async stop(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  /** Requests whose URL matches. */
  matching(pattern: RegExp): ProxiedRequest[] {
    return this.requests.filter((request) => pattern.test(request.url));
  }

  /** Resolves when a request matching `pattern` has arrived (polling, so no listener stays behind). */
  async waitFor(pattern: RegExp, count = 1, timeoutMs = 5_000): Promise<ProxiedRequest> {
    const deadline = Date.now() + timeoutMs;
    while (this.matching(pattern).length < count) {
      if (Date.now() > deadline) throw new Error(`no request matching ${pattern} within ${timeoutMs} ms; saw ${this.requests.map((r) => r.url).join(', ')}`);
      await sleep(10);
    }
    return this.matching(pattern)[count - 1]!;
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
    const record: ProxiedRequest = { method: req.method ?? 'GET', url: req.url ?? '/', headers: req.headers, startedAt: Date.now() };
    this.requests.push(record);
    this.open.set(record, () => res.end());
    res.on('close', () => {
      this.open.delete(record);
      record.closedAt = Date.now();
      record.aborted = !res.writableFinished;
    });
    if (this.intercept(req, res)) return;
    const upstream = http.request(`${this.target}${req.url ?? '/'}`, { method: req.method, headers: req.headers }, (upstreamRes) => {
      res.writeHead(upstreamRes.statusCode ?? 502, upstreamRes.headers);
      upstreamRes.pipe(res);
      if (this.open.has(record)) this.open.set(record, () => {
        upstreamRes.unpipe(res);
        upstreamRes.destroy();
        res.end();
      });
    });
    upstream.on('error', () => res.destroy());
    // A client that goes away takes its upstream request with it, as a real proxy would.
    res.on('close', () => upstream.destroy());
    req.pipe(upstream);
  }
}

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
