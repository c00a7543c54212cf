import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { firstValueFrom } from 'rxjs';
import { exchange } from '../../lib/transport/exchange';
import { undiciTransport } from '../../lib/transport/undici/undici-transport';

describe('undiciTransport lanes', () => {
  const arrivals: Array<{ path: string; port: number }> = [];
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      arrivals.push({ path: req.url ?? '', port: req.socket.remotePort ?? 0 });
      // The first request answers last: without pipelining, later ones would overtake it on other sockets.
      setTimeout(() => res.writeHead(204).end(), req.url === '/0' ? 40 : 1);
    });
  });
  let base: string;
  const transport = undiciTransport();

  beforeAll(async () => {
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    await transport.close();
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });
  beforeEach(() => (arrivals.length = 0));

  const post = (path: string, lane?: string) =>
    firstValueFrom(
      exchange(transport, { method: 'POST', url: `${base}${path}`, headers: {}, body: 'x'.repeat(1000), ...(lane ? { lane } : {}) }, async (response) => {
        await response.body.dump();
        return response.status;
      }),
    );

  it('writes the requests of one lane in order, pipelined on one connection', async () => {
    const paths = Array.from({ length: 6 }, (_, i) => `/${i}`);
    await expect(Promise.all(paths.map((path) => post(path, 'producer:a')))).resolves.toEqual(paths.map(() => 204));
    expect(arrivals.map((a) => a.path)).toEqual(paths);
    expect(new Set(arrivals.map((a) => a.port)).size).toBe(1);
  });

  it('sends each lane request to its own path and query, as the URL says', async () => {
    for (const path of ['/q?token=a%20b&x=1', '/q?token=a%20b&x=1', '/r', '/q?token=c']) await post(path, 'producer:a');
    expect(arrivals.map((a) => a.path)).toEqual(['/q?token=a%20b&x=1', '/q?token=a%20b&x=1', '/r', '/q?token=c']);
  });

  it('keeps lanes apart from each other and from the shared pool', async () => {
    await Promise.all([post('/0', 'producer:a'), post('/1', 'producer:b'), post('/2')]);
    expect(new Set(arrivals.map((a) => a.port)).size).toBe(3);
  });
});
