import nock from 'nock';
import { firstValueFrom } from 'rxjs';
import { DurableStreamsClient, fetchTransport } from '../../lib/index';

const ORIGIN = 'http://ds-review.test';

/**
 * The producer's own `headers` and `params` (docs/producer.md, Options: "per
 * producer, over the client's") apply to every request it makes, the HEAD
 * that learns the content type included: a producer holding its own
 * credentials must not send that HEAD without them.
 */
describe('review: the content-type HEAD carries the producer headers and params', () => {
  beforeAll(() => nock.disableNetConnect());
  afterAll(() => nock.enableNetConnect());
  afterEach(() => nock.cleanAll());

  it('sends them on the HEAD as on the POSTs', async () => {
    const head = nock(ORIGIN, { reqheaders: { authorization: 'Bearer p' } })
      .head('/v1/stream/s')
      .query({ tenant: 't1' })
      .reply(200, '', { 'content-type': 'application/json', 'stream-next-offset': '0' });
    const post = nock(ORIGIN, { reqheaders: { authorization: 'Bearer p' } })
      .post('/v1/stream/s', '["a"]')
      .query({ tenant: 't1' })
      .reply(200, '', { 'stream-next-offset': '1' });
    const client = new DurableStreamsClient({ baseUrl: `${ORIGIN}/v1/stream`, transport: fetchTransport(), retry: { maxRetries: 0 } });
    const producer = client.stream('s').producer<string>('p', { headers: { authorization: 'Bearer p' }, params: { tenant: 't1' }, lingerMs: 0 });
    const errors: unknown[] = [];
    producer.errors$.subscribe((error) => errors.push(error));
    producer.append('a');
    await firstValueFrom(producer.close()).catch(() => undefined);
    expect(errors).toEqual([]);
    expect(head.isDone()).toBe(true);
    expect(post.isDone()).toBe(true);
  });
});
