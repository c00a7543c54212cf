import http from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * An HTTP proxy on loopback that, like a dev-server proxy, keeps its
 * client's connection open when the server behind it dies: an exchange in
 * flight (an SSE connection, a long-poll the server holds) whose upstream
 * goes away is held, silent, never ended; a request it cannot connect
 * upstream for is answered 502 at once. It records every request that
 * comes through: what the server saw, whatever the client's transport does.
 */
export interface HoldingProxy {
  /** `http://127.0.0.1:<port>`. */
  readonly origin: string;
  /** Exchanges whose upstream died while they were in flight, held open since. */
  readonly held: number;
  /** Every request that came through so far (what the server saw, retries included), in order. */
  readonly requests: readonly ProxiedRequest[];
  /** Forgets the requests recorded so far. */
  clearRequests(): void;
  /** Ends every connection, held ones included. */
  close(): Promise<void>;
}

/** A request as it came through the proxy. */
export interface ProxiedRequest {
  readonly method: string;
  /** Path and query. */
  readonly url: string;
}

/** Starts a proxy to `target` (`http://host:port`) on a free loopback port. */
export async function startHoldingProxy(target: string): Promise<HoldingProxy> {
  const { hostname, port } = new URL(target);
  let held = 0;
  let requests: ProxiedRequest[] = [];
  const server = http.createServer((req, res) => {
    requests.push({ method: req.method ?? '', url: req.url ?? '' });
    let connected = false;
    let clientGone = false;
    const upstream = http.request(
      { host: hostname, port, method: req.method, path: req.url, headers: req.headers, agent: false },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        res.flushHeaders();
        answer.on('data', (chunk: Buffer) => res.write(chunk));
        answer.on('end', () => res.end());
        // Cut off mid-answer: the client is left waiting, as it is behind a proxy that keeps connections open.
        answer.on('error', () => undefined);
        answer.on('close', () => {
          if (!answer.complete && !clientGone) held++;
        });
      },
    );
    upstream.on('socket', (socket) => {
      if (!socket.connecting) connected = true;
      else socket.once('connect', () => (connected = true));
    });
    upstream.on('error', () => {
      if (res.headersSent) return;
      if (connected && !clientGone) held++;
      // Refused: the upstream is not there. Died while holding the request: hold it.
      else res.writeHead(502, { 'content-type': 'text/plain' }).end('Bad Gateway: upstream refused the connection');
    });
    req.pipe(upstream);
    res.on('close', () => {
      clientGone = true;
      upstream.destroy();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    origin: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    get held() {
      return held;
    },
    get requests() {
      return requests;
    },
    clearRequests: () => {
      requests = [];
    },
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
