import { connect, createServer, type AddressInfo, type Server, type Socket } from 'node:net';

/** A loopback TCP proxy whose link can be cut: to its clients, the server behind it goes away and comes back. */
export interface CuttableProxy {
  /** `http://127.0.0.1:<port>`, the same before and after a cut. */
  readonly origin: string;
  /** Resets every connection (requests in flight fail, answers on their way are lost) and refuses new ones. */
  cut(): Promise<void>;
  /** Accepts connections again, on the same port. */
  restore(): Promise<void>;
  close(): Promise<void>;
}

/** Starts a proxy to `target` (`http://host:port`) on a free loopback port. */
export async function startCuttableProxy(target: string): Promise<CuttableProxy> {
  const { hostname, port: targetPort } = new URL(target);
  const sockets = new Set<Socket>();
  const track = (socket: Socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  };
  const make = (): Server =>
    createServer((client) => {
      const upstream = connect(Number(targetPort), hostname);
      track(client);
      track(upstream);
      const reset = () => {
        client.destroy();
        upstream.destroy();
      };
      client.on('error', reset);
      upstream.on('error', reset);
      client.on('close', () => upstream.destroy());
      upstream.on('close', () => client.destroy());
      client.pipe(upstream);
      upstream.pipe(client);
    });
  const listen = (server: Server, port: number) =>
    new Promise<number>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => resolve((server.address() as AddressInfo).port));
    });
  let server: Server | undefined = make();
  const port = await listen(server, 0);
  const cut = async () => {
    const closing = server;
    server = undefined;
    for (const socket of sockets) socket.resetAndDestroy();
    if (closing) await new Promise<void>((resolve) => closing.close(() => resolve()));
  };
  return {
    origin: `http://127.0.0.1:${port}`,
    cut,
    restore: async () => {
      if (server) return;
      server = make();
      await listen(server, port);
    },
    close: cut,
  };
}
