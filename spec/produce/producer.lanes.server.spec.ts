import { firstValueFrom } from 'rxjs';
import { DurableStreamsClient, type HttpRequest, type HttpTransport } from '../../lib/index.node';
import { undiciTransport } from '../../lib/transport/undici/undici-transport';
import { streamBase, uniquePath } from '../support/real-server';

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
    await firstValueFrom(stream.create({ contentType: 'application/json' }));
    const producer = stream.producer<{ n: number }>('lanes-1', { maxInFlight: 5, maxBatchItems: 100, lingerMs: 1 });
    for (let n = 0; n < 20_000; n++) producer.append({ n });
    await firstValueFrom(producer.close());

    expect(lanes).toEqual(new Set([`producer:${stream.url} lanes-1`]));
    expect(statuses.length).toBe(200);
    // Out-of-order arrival on several sockets would answer 409 (sequence gap) and resend.
    expect(statuses.filter((status) => status === 409)).toEqual([]);
    const response = await fetch(`${stream.url}?offset=-1`);
    const values = (await response.json()) as Array<{ n: number }>;
    expect(values.map((v) => v.n)).toEqual(Array.from({ length: 20_000 }, (_, n) => n));
  });
});
