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

/**
 * A lane pipelines: its next request goes on the wire before the previous
 * response's headers are back (undici waits for them by default for all but
 * HEAD), so the server always has the next batch at hand.
 */
describe('undici lanes pipeline', () => {
  it("writes the next request before the previous one's response arrives, on one connection", async () => {
    const arrived: string[] = [];
    const held: ServerResponse[] = [];
    const ports = new Set<number>();
    const server = createServer((req: IncomingMessage, res: ServerResponse) => {
      ports.add(req.socket.remotePort ?? 0);
      req.resume();
      req.on('end', () => {
        arrived.push(String(req.headers['producer-seq']));
        held.push(res);
        // Answer only once both requests are here: without pipelining the second never comes.
        if (held.length === 2) for (const response of held) response.writeHead(204).end();
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/x`;
    const transport = undiciTransport();
    try {
      const send = (seq: number) =>
        transport.request({ method: 'POST', url, headers: { 'producer-seq': String(seq) }, body: 'x', signal: new AbortController().signal, lane: 'producer:p' });
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`only ${arrived.length} request(s) reached the server`)), 2000);
      });
      const responses = await Promise.race([Promise.all([send(0), send(1)]), timeout]).finally(() => clearTimeout(timer));
      expect(responses.map((response) => response.status)).toEqual([204, 204]);
      await Promise.all(responses.map((response) => response.body.dump()));
      expect(arrived).toEqual(['0', '1']);
      expect(ports.size).toBe(1);
    } finally {
      // Connections first: a graceful transport.close() waits for held requests.
      server.closeAllConnections();
      await transport.close();
      await new Promise((resolve) => server.close(resolve));
    }
  });
});
