import { DurableStreamTestServer } from '@durable-streams/server';
import { Server, type IncomingMessage, type ServerResponse } from 'node:http';

/** A request the reference server received. */
export interface LoggedRequest {
  readonly method: string;
  readonly path: string;
  readonly params: URLSearchParams;
  readonly at: number;
}

export interface StreamServer {
  readonly url: string;
  /** Every request, in arrival order. */
  readonly log: readonly LoggedRequest[];
  /** GET requests (reads) on `/v1/stream/<path>` whose response is not finished and whose connection is open. */
  openReads(path: string): number;
  /** Those of them that are live (long-poll or SSE). */
  openLive(path: string): number;
  /** The requests on `/v1/stream/<path>` since `from` (an index in `log`). */
  requests(path: string, from?: number): LoggedRequest[];
  /**
   * Until the returned function is called, the requests `match` picks never reach the server: their connection is
   * destroyed first (the client sees a reset). `refused()` counts them.
   */
  refuse(match: (request: IncomingMessage) => boolean): { refused: () => number; stop: () => void };
  close(): Promise<void>;
}

/**
 * The reference server on a free loopback port, watched from the server
 * side: every request is logged, and open reads are counted until their
 * response closes (finished, or the client went away).
 */
export async function startStreamServer(): Promise<StreamServer> {
  const server = new DurableStreamTestServer({ port: 0, host: '127.0.0.1', longPollTimeout: 1_500 });
  const url = await server.start();
  const http = (server as unknown as { server?: unknown }).server;
  if (!(http instanceof Server))
    throw new Error('DurableStreamTestServer no longer exposes its http.Server: update e2e/support/stream-server.ts');

  const log: LoggedRequest[] = [];
  const open = new Set<IncomingMessage>();
  http.on('request', (req: IncomingMessage, res: ServerResponse) => {
    const parsed = new URL(req.url ?? '/', url);
    log.push({ method: req.method ?? '', path: parsed.pathname, params: parsed.searchParams, at: Date.now() });
    if (req.method !== 'GET') return;
    open.add(req);
    res.once('close', () => open.delete(req));
  });

  // The server's own handler (and the log above) run only for requests no refusal picks.
  type Listener = (req: IncomingMessage, res: ServerResponse) => void;
  const serve = http.listeners('request') as Listener[];
  http.removeAllListeners('request');
  const refusals = new Set<{ readonly match: (request: IncomingMessage) => boolean; count: number }>();
  http.on('request', (req: IncomingMessage, res: ServerResponse) => {
    for (const refusal of refusals)
      if (refusal.match(req)) {
        refusal.count++;
        req.socket.destroy();
        return;
      }
    for (const listener of serve) listener.call(http, req, res);
  });

  const streamPath = (path: string) => `/v1/stream/${path}`;
  return {
    url,
    log,
    openReads: (path) => [...open].filter((req) => new URL(req.url ?? '/', url).pathname === streamPath(path)).length,
    openLive: (path) =>
      [...open].filter((req) => {
        const parsed = new URL(req.url ?? '/', url);
        return parsed.pathname === streamPath(path) && parsed.searchParams.has('live');
      }).length,
    requests: (path, from = 0) => log.slice(from).filter((entry) => entry.path === streamPath(path)),
    refuse: (match) => {
      const refusal = { match, count: 0 };
      refusals.add(refusal);
      return { refused: () => refusal.count, stop: () => void refusals.delete(refusal) };
    },
    close: () => server.stop(),
  };
}
