import { of, timer } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { IdempotentProducer } from '../../lib/produce/idempotent-producer';
import type { StreamContext } from '../../lib/http/stream-context';
import { FakeServer, STREAM_URL } from './support/fake-server';

const context: StreamContext = { url: STREAM_URL, http: undefined as never, contentType: () => of('application/json') };

/**
 * Thousands of batches waiting for their turn at once: when one is
 * acknowledged, every waiter asks the sequencer again, and each that may go
 * sends, which is news for the others. The sequencer queues that news
 * behind the round being told (the queue scheduler's trampoline) instead of
 * telling it from inside the round: nested, the rounds recurse once per
 * batch sent, overflow the stack, and the producer stalls after its first
 * batch.
 */
describe('IdempotentProducer with thousands of batches in flight', () => {
  it('delivers 1 000 one-value batches with maxInFlight 1 000, in order', () => {
    const count = 1_000;
    let server!: FakeServer;
    let producer!: IdempotentProducer<number>;
    const scheduler = new TestScheduler((actual, expected) => expect(actual).toEqual(expected));
    scheduler.run(() => {
      server = new FakeServer(() => scheduler.now());
      producer = new IdempotentProducer<number>(context, 'p1', { lingerMs: 0, maxBatchItems: 1, maxInFlight: count }, server.sender({ arrival: () => 1, response: () => 1 }));
      timer(1).subscribe(() => {
        for (let i = 0; i < count; i++) producer.append(i);
        producer.close().subscribe();
      });
    });
    expect(server.messages).toEqual(Array.from({ length: count }, (_, i) => i));
    expect(producer.pendingCount).toBe(0);
  });
});
