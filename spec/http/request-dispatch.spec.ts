import { firstValueFrom, lastValueFrom } from 'rxjs';
import {
  DurableStreamsClient,
  type HttpRequest,
  type HttpResponse,
  type HttpTransport,
  append,
  idempotentProducer,
} from '../../lib/index';
import type { IdempotentProducer } from '../../lib/produce/idempotent-producer';
import { producerCodeLoaded } from '../support/producer-code';

/**
 * When a request leaves: on subscribe, in the same tick, whenever every
 * dynamic header and param is at hand (strings, functions returning
 * strings); after the promise when one is asynchronous. A producer's
 * batches therefore go out during a synchronous burst of appends.
 */

/** An in-memory transport that records each request the moment it is made, and answers when told. */
function recordingTransport(status = 200, headers: Record<string, string> = { 'stream-next-offset': '0_1' }) {
  const requests: HttpRequest[] = [];
  const answers: Array<() => void> = [];
  const transport: HttpTransport = {
    request: (request) => {
      requests.push(request);
      return new Promise<HttpResponse>((resolve) => {
        answers.push(() =>
          resolve({
            status: request.method === 'HEAD' ? 200 : status,
            headers: {
              get: (name) => headers[name.toLowerCase()] ?? null,
              entries: () => Object.entries(headers),
            },
            body: {
              bytes: async () => new Uint8Array(0),
              text: async () => '',
              stream: async function* () {},
              dump: async () => undefined,
            },
          }),
        );
      });
    },
  };
  const answerAll = () => answers.splice(0).forEach((answer) => answer());
  return { transport, requests, answerAll };
}

describe('request dispatch', () => {
  // A producer's running code is a lazy chunk: once it is loaded (the first producer of a page or process asks for
  // it), a producer's batches leave during a burst; before, they wait for it (spec/produce/start-lazily.spec.ts).
  beforeAll(producerCodeLoaded);

  it('sends on subscribe, in the same tick, when headers and params are strings or synchronous functions', () => {
    const { transport, requests } = recordingTransport();
    const client = new DurableStreamsClient({
      baseUrl: 'http://ds.test/v1/stream',
      transport,
      headers: { authorization: () => 'Bearer t', 'x-static': 's' },
      params: { tenant: () => 'acme' },
    });
    const append$ = append(client.stream('s', { contentType: 'text/plain' }), 'x');
    expect(requests).toHaveLength(0); // cold

    const subscription = append$.subscribe();

    expect(requests).toHaveLength(1);
    expect(requests[0].headers).toMatchObject({ authorization: 'Bearer t', 'x-static': 's' });
    expect(requests[0].url).toBe('http://ds.test/v1/stream/s?tenant=acme');
    subscription.unsubscribe();
    expect(requests[0].signal.aborted).toBe(true);
  });

  it('waits for an asynchronous header, then sends it with the rest, later functions (params after headers) evaluated in order', async () => {
    const { transport, requests, answerAll } = recordingTransport();
    const calls: string[] = [];
    const client = new DurableStreamsClient({
      baseUrl: 'http://ds.test/v1/stream',
      transport,
      headers: {
        first: () => (calls.push('first'), 'a'),
        token: async () => (calls.push('token'), 'b'),
        last: () => (calls.push('last'), 'c'),
      },
      params: { tenant: () => (calls.push('param'), 'acme') },
    });
    const done = firstValueFrom(append(client.stream('s', { contentType: 'text/plain' }), 'x'));
    expect(requests).toHaveLength(0);
    await new Promise((resolve) => setImmediate(resolve));
    expect(requests).toHaveLength(1);
    expect(requests[0].headers).toMatchObject({ first: 'a', token: 'b', last: 'c' });
    expect(calls).toEqual(['first', 'token', 'last', 'param']);
    answerAll();
    await done;
  });

  it('fails with a DynamicValueError and sends nothing when a synchronous header function throws', async () => {
    const { transport, requests } = recordingTransport();
    const client = new DurableStreamsClient({
      baseUrl: 'http://ds.test/v1/stream',
      transport,
      headers: {
        authorization: () => {
          throw new Error('no token');
        },
      },
    });
    await expect(firstValueFrom(append(client.stream('s', { contentType: 'text/plain' }), 'x'))).rejects.toMatchObject({
      name: 'DynamicValueError',
      message: expect.stringContaining("headers['authorization']"),
    });
    expect(requests).toHaveLength(0);
  });

  it('a producer sends its first batch while a synchronous burst of appends is still running', async () => {
    const { transport, requests, answerAll } = recordingTransport(200, {
      'stream-next-offset': '0_1',
      'producer-epoch': '0',
      'producer-seq': '0',
    });
    const client = new DurableStreamsClient({ baseUrl: 'http://ds.test/v1/stream', transport });
    const producer = idempotentProducer<number>(client.stream('s', { contentType: 'application/json' }), 'p', {
      maxBatchItems: 10,
    });
    const seenDuringBurst: number[] = [];
    for (let i = 0; i < 50; i++) {
      producer.append(i);
      seenDuringBurst.push(requests.length);
    }
    // The first batch (seq 0) goes alone; the next wait for its acknowledgement.
    expect(seenDuringBurst.slice(0, 9)).toEqual(Array(9).fill(0));
    expect(seenDuringBurst[9]).toBe(1);
    expect(new TextDecoder().decode(requests[0].body as Uint8Array)).toBe('[0,1,2,3,4,5,6,7,8,9]');

    const closed = lastValueFrom(producer.finish());
    while (producer.pendingCount > 0) {
      answerAll();
      await new Promise((resolve) => setImmediate(resolve));
    }
    await closed;
    expect(requests.map((request) => request.headers['producer-seq'])).toEqual(['0', '1', '2', '3', '4']);
  });

  it('a batch sealed before the content type was learned is still sent with its values when it leaves after', async () => {
    const { transport, requests, answerAll } = recordingTransport(200, {
      'stream-next-offset': '0_1',
      'content-type': 'text/plain',
      'producer-epoch': '0',
      'producer-seq': '0',
    });
    const client = new DurableStreamsClient({ baseUrl: 'http://ds.test/v1/stream', transport });
    const producer: IdempotentProducer<string> = idempotentProducer<string>(client.stream('s'), 'p', {
      maxBatchItems: 1,
      maxInFlight: 1,
    });
    producer.append('a'); // batch 0: waits for the HEAD
    producer.append('b'); // batch 1: sealed with the content type unknown, waits for a slot
    expect(requests.map((request) => request.method)).toEqual(['HEAD']);

    const closed = lastValueFrom(producer.finish());
    while (producer.pendingCount > 0) {
      answerAll();
      await new Promise((resolve) => setImmediate(resolve));
    }
    await closed;
    const posts = requests.filter((request) => request.method === 'POST');
    expect(posts.map((request) => new TextDecoder().decode(request.body as Uint8Array))).toEqual(['a', 'b']);
    expect(posts.map((request) => request.headers['content-type'])).toEqual(['text/plain', 'text/plain']);
  });
});
