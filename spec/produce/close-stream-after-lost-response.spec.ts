import { firstValueFrom, timer } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { DurableStreamsClient, type HttpRequest, type HttpTransport, idempotentProducer } from '../../lib/index';
import { IdempotentProducer } from '../../lib/produce/idempotent-producer';
import type { DurableStreamError } from '../../lib/errors';
import { offlineContext } from '../support/offline-context';
import { streamBase, transports, uniquePath } from '../support/real-server';
import { FAST_RETRY, FakeServer, STREAM_URL, type Network } from './support/fake-server';
import { createStream, isClosed, readJsonMessages } from './support/read-back';

/**
 * closeStream() after an earlier batch's response was lost: the close lands,
 * then the earlier batch's retry meets the closed stream (409 Stream-Closed,
 * PROTOCOL.md 5.2.1: only the closing tuple is answered as a duplicate).
 * Everything was written exactly once; closeStream() must succeed.
 */
describe.each(transports)(
  'producer: closeStream() after a lost response (%s, reference server)',
  (_name, makeTransport) => {
    it('emits the final offset, though the earlier batch retry meets the closed stream', async () => {
      const inner = makeTransport();
      let lost = false;
      const losing: HttpTransport = {
        async request(request: HttpRequest) {
          const response = await inner.request(request);
          // The server applied seq 1, but its answer never arrives.
          if (!lost && request.method === 'POST' && request.headers['producer-seq'] === '1') {
            lost = true;
            await response.body.dump();
            throw Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' });
          }
          return response;
        },
      };
      const path = uniquePath('close-after-loss');
      const url = `${streamBase()}/${path}`;
      await createStream(url);
      const client = new DurableStreamsClient({
        baseUrl: streamBase(),
        transport: losing,
        retry: { initialDelayMs: 30, maxDelayMs: 30, jitter: false },
      });
      const producer = idempotentProducer<number>(client.stream(path, { contentType: 'application/json' }), 'p', {
        lingerMs: 0,
        maxBatchItems: 1,
      });
      const errors: DurableStreamError[] = [];
      producer.errors$.subscribe((error) => errors.push(error));
      producer.append(0);
      await firstValueFrom(producer.flush());
      producer.append(1);
      const result = await firstValueFrom(producer.closeStream(2));
      await inner.close?.();

      expect(lost).toBe(true);
      expect(errors).toEqual([]);
      expect(result.finalOffset).not.toBe('');
      expect(await readJsonMessages(url)).toEqual([0, 1, 2]);
      expect(await isClosed(url)).toBe(true);
    });
  },
);

describe('producer: closeStream() after a lost response (virtual time)', () => {
  const context = offlineContext(STREAM_URL);

  const run = (network: Network, setup?: (server: FakeServer) => void) => {
    const outcome: { errors: DurableStreamError[]; result?: unknown; error?: unknown; server?: FakeServer } = {
      errors: [],
    };
    const scheduler = new TestScheduler((a, b) => expect(a).toEqual(b));
    scheduler.run(() => {
      const server = new FakeServer(() => scheduler.now());
      outcome.server = server;
      setup?.(server);
      const producer = new IdempotentProducer<string>(
        context,
        'p1',
        { lingerMs: 0, maxBatchItems: 1, maxInFlight: 4, retry: FAST_RETRY },
        server.sender(network),
      );
      producer.errors$.subscribe((error) => outcome.errors.push(error));
      timer(1).subscribe(() => {
        producer.append('a');
        producer.append('b');
        producer
          .closeStream('c')
          .subscribe({ next: (r) => (outcome.result = r), error: (e: unknown) => (outcome.error = e) });
      });
    });
    return outcome;
  };

  it('when the close is acknowledged before the retry is refused', () => {
    const { errors, result, error, server } = run({
      arrival: () => 1,
      response: () => 1,
      lose: (request, attempt) => request.seq === 1 && attempt === 1,
    });
    expect(server!.messages).toEqual(['a', 'b', 'c']);
    expect(error).toBeUndefined();
    expect(errors).toEqual([]);
    expect(result).toEqual({ finalOffset: '3' });
  });

  it('when the retry is refused before the close is acknowledged', () => {
    const { errors, result, error, server } = run({
      arrival: () => 1,
      // The close's answer is slow: the retry of seq 1 is refused first.
      response: (request) => (request.close ? 40 : 1),
      lose: (request, attempt) => request.seq === 1 && attempt === 1,
    });
    expect(server!.messages).toEqual(['a', 'b', 'c']);
    expect(server!.arrivals.some((a) => a.seq === 1 && a.outcome === 'closed')).toBe(true);
    expect(error).toBeUndefined();
    expect(errors).toEqual([]);
    expect(result).toEqual({ finalOffset: '3' });
  });

  it('still fails with StreamClosedError when another writer closed the stream first', () => {
    const { result, error, server } = run({ arrival: () => 1, response: () => 1 }, (server) => (server.closed = true));
    expect(server!.messages).toEqual([]);
    expect(result).toBeUndefined();
    expect((error as DurableStreamError).code).toBe('STREAM_CLOSED');
  });
});
