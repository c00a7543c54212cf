import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { undiciTransport } from '../../lib/transport/undici/undici-transport';

/** A lane client must not leak: none is (re)opened once transport.close() was called. */
describe('review: undici lanes after close()', () => {
  const sockets = new Set<Socket>();
  let connections = 0;
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    req.resume();
    req.on('end', () => res.writeHead(204).end());
  });
  server.on('connection', (socket: Socket) => {
    connections++;
    sockets.add(socket);
  });
  let base: string;
  beforeAll(async () => {
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  const post = (transport: ReturnType<typeof undiciTransport>, lane?: string) =>
    transport.request({ method: 'POST', url: `${base}/x`, headers: {}, body: 'x', signal: new AbortController().signal, ...(lane ? { lane } : {}) });

  it('refuses lane requests after close(), as the shared pool does, without opening a connection', async () => {
    const transport = undiciTransport();
    await (await post(transport, 'producer:a')).body.dump();
    await transport.close();
    const before = connections;

    await expect(post(transport)).rejects.toThrow();
    await expect(post(transport, 'producer:a')).rejects.toThrow();
    await expect(post(transport, 'producer:b')).rejects.toThrow();
    expect(connections).toBe(before);
  });
});
