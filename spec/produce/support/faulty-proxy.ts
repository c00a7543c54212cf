import { createServer, connect, type AddressInfo, type Server, type Socket } from 'node:net';

/** What the proxy did to the requests it saw. */
export interface ProxyCounts {
  passed: number;
  /** Connection reset before the request reached the server. */
  dropped: number;
  /** Connection reset after the server answered: the response is lost. */
  killed: number;
}

export interface FaultyProxy {
  /** `http://127.0.0.1:<port>` */
  readonly origin: string;
  readonly counts: ProxyCounts;
  close(): Promise<void>;
}

/**
 * A loopback TCP proxy in front of an HTTP server that breaks connections
 * on purpose. Clients send one request at a time per connection (no
 * pipelining), so client bytes after a response began start a new request;
 * each new request is, at random:
 * - dropped: the connection is reset before a byte reaches the server;
 * - killed: forwarded, and the connection reset as soon as the server's
 *   answer begins, so the server applied it but the client never learns;
 * - passed through.
 */
export async function startFaultyProxy(target: string, fate: () => 'pass' | 'drop' | 'kill'): Promise<FaultyProxy> {
  const { hostname, port } = new URL(target);
  const counts: ProxyCounts = { passed: 0, dropped: 0, killed: 0 };
  const sockets = new Set<Socket>();
  const server: Server = createServer((client) => {
    sockets.add(client);
    const upstream = connect(Number(port), hostname);
    sockets.add(upstream);
    let newRequest = true;
    let killing = false;
    const reset = () => {
      client.destroy();
      upstream.destroy();
    };
    client.on('data', (chunk: Buffer) => {
      if (newRequest) {
        newRequest = false;
        const decided = fate();
        if (decided === 'drop') {
          counts.dropped++;
          reset();
          return;
        }
        if (decided === 'kill') {
          counts.killed++;
          killing = true;
        } else counts.passed++;
      }
      upstream.write(chunk);
    });
    upstream.on('data', (chunk: Buffer) => {
      if (killing) {
        reset();
        return;
      }
      newRequest = true;
      client.write(chunk);
    });
    client.on('error', reset);
    upstream.on('error', reset);
    client.on('close', () => {
      sockets.delete(client);
      upstream.destroy();
    });
    upstream.on('close', () => {
      sockets.delete(upstream);
      client.destroy();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address() as AddressInfo;
  return {
    origin: `http://127.0.0.1:${address.port}`,
    counts,
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}
