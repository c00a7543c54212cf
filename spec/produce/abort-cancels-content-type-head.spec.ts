import {
  DurableStreamsClient,
  type HttpRequest,
  type HttpResponse,
  type HttpTransport,
  idempotentProducer,
} from '../../lib/index';
import { until } from '../support/until';

/**
 * abort() aborts in-flight requests: that includes the HEAD that learns
 * the content type at the first append (docs/producer.md, Lifecycle).
 */
describe('producer: abort() while the content type is being learned', () => {
  it('aborts the HEAD', async () => {
    const signals: AbortSignal[] = [];
    const hanging: HttpTransport = {
      request: (request: HttpRequest) =>
        new Promise<HttpResponse>((_resolve, reject) => {
          signals.push(request.signal);
          request.signal.addEventListener('abort', () => reject(request.signal.reason));
        }),
    };
    const client = new DurableStreamsClient({ baseUrl: 'http://ds.test/v1/stream', transport: hanging });
    const producer = idempotentProducer<string>(client.stream('s'), 'p');
    producer.append('a');
    await until(() => signals.length > 0, 'the HEAD');
    expect(signals).toHaveLength(1);
    expect(signals[0].aborted).toBe(false);

    producer.abort();
    expect(signals[0].aborted).toBe(true);
  });
});
