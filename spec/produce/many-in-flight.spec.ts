import { firstValueFrom } from 'rxjs';
import { IdempotentProducer } from '../../lib/produce/idempotent-producer';
import { offlineContext } from '../support/offline-context';
import { FakeServer, STREAM_URL } from './support/fake-server';

/**
 * With thousands of batches in flight, thousands wait for their turn: each
 * acknowledgement or send wakes them, and waking them sends the next, which
 * wakes them again. Those wake-ups must queue behind each other (the queue
 * scheduler's trampoline), not nest: nested, the stack grows with every
 * batch in flight and overflows, or the producer stalls.
 */
describe('a producer with thousands of batches in flight', () => {
  it('delivers 5 000 one-value batches with maxInFlight 5 000, in order, without overflowing the stack', async () => {
    const count = 5_000;
    const server = new FakeServer();
    const producer = new IdempotentProducer<number>(
      offlineContext(STREAM_URL),
      'p',
      { maxInFlight: count, maxBatchItems: 1, lingerMs: 0 },
      server.sender(),
    );
    const errors: unknown[] = [];
    producer.errors$.subscribe((error) => errors.push(error));
    for (let n = 0; n < count; n++) producer.append(n);

    let timer: NodeJS.Timeout | undefined;
    const stalled = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new Error(`stalled: ${producer.pendingCount} of ${count} values unacknowledged`)),
        15_000,
      );
    });
    await Promise.race([firstValueFrom(producer.finish()), stalled]).finally(() => clearTimeout(timer));

    expect(errors).toEqual([]);
    expect(server.messages).toEqual(Array.from({ length: count }, (_, n) => n));
    expect(server.arrivals.filter((arrival) => arrival.outcome !== 'accepted')).toEqual([]);
  }, 30_000);
});
