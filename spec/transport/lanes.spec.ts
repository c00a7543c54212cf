import { firstValueFrom } from 'rxjs';
import {
  DurableStreamsClient,
  type HttpRequest,
  type HttpTransport,
  createStream,
  idempotentProducer,
} from '../../lib/index';
import { exchange } from '../../lib/transport/exchange';
import { undiciTransport, type UndiciTransport } from '../../lib/transport/undici/undici-transport';
import { LoopbackServer } from '../support/loopback-server';
import { streamBase, uniquePath } from '../support/real-server';

/**
 * Lanes: the requests of one lane (a producer's) must reach the server in
 * the order they are issued. undici writes them, pipelined, on one
 * connection per lane, without waiting for each response's headers.
 */
describe('undiciTransport lanes', () => {
  const server = new LoopbackServer();
  let base: string;
  let transport: UndiciTransport;

  beforeAll(async () => {
    base = await server.start();
  });
  beforeEach(() => {
    server.requests.length = 0;
    server.intercept = () => false;
    transport = undiciTransport();
  });
  afterEach(async () => {
    // Connections first: a graceful transport.close() waits for held requests.
    server.answer((_req, res) => res.destroy());
    await Promise.race([transport.close().catch(() => undefined), new Promise((resolve) => setTimeout(resolve, 200))]);
  });
  afterAll(() => server.stop());

  const post = (path: string, lane?: string) =>
    firstValueFrom(
      exchange(
        transport,
        { method: 'POST', url: `${base}${path}`, headers: {}, body: 'x'.repeat(1000), ...(lane ? { lane } : {}) },
        async (response) => {
          await response.body.dump();
          return response.status;
        },
      ),
    );

  it("writes one lane's requests in order on one connection, each before the previous response arrives (pipelined)", async () => {
    const paths = Array.from({ length: 6 }, (_, i) => `/${i}`);
    const held: Array<() => void> = [];
    // Nothing is answered until every request is here: without pipelining the second would never come.
    server.answer((req, res) => {
      req.resume();
      req.on('end', () => {
        held.push(() => res.writeHead(204).end());
        if (held.length === paths.length) for (const answer of held) answer();
      });
    });
    let timer: NodeJS.Timeout | undefined;
    const stalled = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new Error(`only ${server.requests.length} of ${paths.length} requests reached the server`)),
        10_000,
      );
    });
    const statuses = await Promise.race([Promise.all(paths.map((path) => post(path, 'producer:a'))), stalled]).finally(
      () => clearTimeout(timer),
    );
    expect(statuses).toEqual(paths.map(() => 204));
    expect(server.requests.map((r) => r.url)).toEqual(paths);
    expect(new Set(server.requests.map((r) => r.port)).size).toBe(1);
  });

  it('sends each lane request to its own path and query, as the URL says', async () => {
    for (const path of ['/q?token=a%20b&x=1', '/q?token=a%20b&x=1', '/r', '/q?token=c']) await post(path, 'producer:a');
    expect(server.requests.map((r) => r.url)).toEqual(['/q?token=a%20b&x=1', '/q?token=a%20b&x=1', '/r', '/q?token=c']);
  });

  it('keeps lanes apart from each other and from the shared pool', async () => {
    await Promise.all([post('/0', 'producer:a'), post('/1', 'producer:b'), post('/2')]);
    expect(new Set(server.requests.map((r) => r.port)).size).toBe(3);
  });

  it('refuses lane requests after close(), as the shared pool does, without opening a connection', async () => {
    await post('/x', 'producer:a');
    await transport.close();
    const before = server.connections;
    await expect(post('/x')).rejects.toThrow();
    await expect(post('/x', 'producer:a')).rejects.toThrow();
    await expect(post('/x', 'producer:b')).rejects.toThrow();
    expect(server.connections).toBe(before);
  });
});

describe('producer requests keep their order on the wire (undici, reference server)', () => {
  const inner = undiciTransport();
  const statuses: number[] = [];
  const lanes = new Set<string | undefined>();
  const counting: HttpTransport = {
    async request(request: HttpRequest) {
      if (request.method === 'POST') lanes.add(request.lane);
      const response = await inner.request(request);
      if (request.method === 'POST') statuses.push(response.status);
      return response;
    },
  };
  afterAll(() => inner.close());

  it('pipelines maxInFlight batches without a single sequence gap', async () => {
    const client = new DurableStreamsClient({ baseUrl: streamBase(), transport: counting });
    const stream = client.stream(uniquePath('lanes'), { contentType: 'application/json' });
    await firstValueFrom(createStream(stream, { contentType: 'application/json' }));
    const producer = idempotentProducer<{ n: number }>(stream, 'lanes-1', {
      maxInFlight: 5,
      maxBatchItems: 100,
      lingerMs: 1,
    });
    for (let n = 0; n < 20_000; n++) producer.append({ n });
    await firstValueFrom(producer.finish());

    expect(lanes).toEqual(new Set([`producer:${stream.url} lanes-1`]));
    expect(statuses.length).toBe(200);
    // Out-of-order arrival on several sockets would answer 409 (sequence gap) and resend.
    expect(statuses.filter((status) => status === 409)).toEqual([]);
    const response = await fetch(`${stream.url}?offset=-1`);
    const values = (await response.json()) as Array<{ n: number }>;
    expect(values.map((v) => v.n)).toEqual(Array.from({ length: 20_000 }, (_, n) => n));
  });
});
