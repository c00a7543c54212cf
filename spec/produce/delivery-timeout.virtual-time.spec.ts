import { map, of, Subject, throwError, timer, type Observable } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { BadRequestError, NetworkError, type DurableStreamError } from '../../lib/errors';
import { IdempotentProducer } from '../../lib/produce/idempotent-producer';
import { DeliveryTimeoutError, ProducerBufferFullError, ProducerClosedError } from '../../lib/produce/producer-errors';
import type { ProducerOptions } from '../../lib/produce/producer-options';
import type { BatchSender } from '../../lib/produce/send-batch';
import type { WakeReason } from '../../lib/retry/connectivity';
import { offlineContext } from '../support/offline-context';
import { FakeServer, STREAM_URL, type Network } from './support/fake-server';
import { range } from '../support/range';
import { producerCodeLoaded } from '../support/producer-code';

/** Backoff of 100 ms doubling to 1 s, without jitter: attempts at 0, 100, 300, 700, 1 500, 2 500… after the first failure. */
const RETRY = { initialDelayMs: 100, maxDelayMs: 1_000, jitter: false };

interface Outcome {
  server: FakeServer;
  producer: IdempotentProducer;
  errors: DurableStreamError[];
  /** How `flush()`, subscribed after the script at 1 ms (it seals the open batch), ended, and when. */
  flushed: { done?: number; error?: unknown; at?: number };
  /** When the first error was reported. */
  failedAt?: number;
}

/**
 * A producer on the fake server in virtual time, the network `down` while
 * `down(now)` holds (every request lost before the server sees it).
 * `script` runs at 1 ms.
 */
function run(
  options: ProducerOptions,
  down: (now: number) => boolean,
  script: (producer: IdempotentProducer, at: (ms: number, action: () => void) => void) => void,
  contentType?: Observable<string>,
  flush = true,
): Outcome {
  let outcome!: Outcome;
  const scheduler = new TestScheduler((actual, expected) => expect(actual).toEqual(expected));
  scheduler.run(() => {
    const server = new FakeServer(() => scheduler.now());
    const network: Network = { arrival: () => 1, response: () => 1, drop: () => down(scheduler.now()) };
    const producer = new IdempotentProducer<unknown>(
      offlineContext(STREAM_URL, contentType),
      'p1',
      { retry: RETRY, lingerMs: 0, ...options },
      server.sender(network),
    );
    outcome = { server, producer, errors: [], flushed: {} };
    producer.errors$.subscribe((error) => {
      outcome.failedAt ??= scheduler.now();
      outcome.errors.push(error);
    });
    const at = (ms: number, action: () => void) => void timer(ms).subscribe(action);
    at(1, () => {
      script(producer, at);
      if (flush)
        producer.flush().subscribe({
          complete: () => (outcome.flushed.done = scheduler.now()),
          error: (error: unknown) => Object.assign(outcome.flushed, { error, at: scheduler.now() }),
        });
    });
  });
  return outcome;
}

// The producer's running code is a lazy chunk: loaded first, so producers start at once in virtual time.
beforeAll(producerCodeLoaded);

describe('IdempotentProducer delivery timeout (virtual time)', () => {
  it('retries through an outage far longer than the retry budget of one-shot operations, and delivers every value once, in order', () => {
    // 30 s down: dozens of retries, where a one-shot operation gives up after 6.
    const { server, errors, flushed, producer } = run(
      { maxBatchItems: 10 },
      (now) => now < 30_000,
      (producer) => range(0, 50).forEach((i) => producer.append(i)),
    );
    expect(errors).toEqual([]);
    expect(server.messages).toEqual(range(0, 50));
    expect(server.arrivals.filter((a) => a.outcome === 'dropped').length).toBeGreaterThan(20);
    expect(flushed.done).toBeGreaterThanOrEqual(30_000);
    expect(producer.pendingCount).toBe(0);
  });

  it('gives up deliveryTimeoutMs after the first value was appended, with DeliveryTimeoutError handing back every unacknowledged value in order', () => {
    const { server, errors, flushed, producer } = run(
      { deliveryTimeoutMs: 5_000, maxBatchItems: 3, lingerMs: 10 },
      () => true,
      (producer, at) => {
        range(0, 7).forEach((i) => producer.append(i)); // [0 1 2] [3 4 5] sealed at 1, [6] lingers to 11
        at(2_000, () => producer.append({ late: true }));
      },
    );
    expect(server.messages).toEqual([]);
    expect(errors).toHaveLength(1);
    const error = errors[0] as DeliveryTimeoutError;
    expect(error).toBeInstanceOf(DeliveryTimeoutError);
    expect(error.code).toBe('DELIVERY_TIMEOUT');
    expect(error.cause).toBeInstanceOf(NetworkError);
    expect(error.deliveryTimeoutMs).toBe(5_000);
    expect(error.unsent).toEqual([...range(0, 7), { late: true }]);
    expect(error.message).toMatch(/not acknowledged within deliveryTimeoutMs \(5000 ms\).*8 values/);
    // The first batch opened at 1: its last attempt starts at 4 601 (before 5 001), the next would at 5 603.
    expect(flushed.error).toBe(error);
    expect(flushed.at).toBeGreaterThanOrEqual(5_001);
    expect(flushed.at).toBeLessThan(5_001 + RETRY.maxDelayMs + 10);
    expect(producer.unsentValues()).toBe(error.unsent);
    expect(() => producer.append('more')).toThrow(ProducerClosedError);
  });

  it('counts the timeout from the first value, not from when its batch was sealed or sent', () => {
    // The batch lingers 3 s before it is sent (no flush); it has 1 s of retries left.
    const { failedAt, errors } = run(
      { deliveryTimeoutMs: 4_000, lingerMs: 3_000 },
      () => true,
      (producer) => producer.append('a'),
      undefined,
      false,
    );
    expect(errors[0]).toBeInstanceOf(DeliveryTimeoutError);
    expect(failedAt).toBeGreaterThanOrEqual(4_001);
    expect(failedAt).toBeLessThan(4_001 + RETRY.maxDelayMs + 10);
  });

  it('with deliveryTimeoutMs Infinity, retries for as long as the outage lasts (two hours here)', () => {
    const twoHours = 2 * 3_600_000;
    const { server, errors, flushed } = run(
      { deliveryTimeoutMs: Infinity },
      (now) => now < twoHours,
      (producer) => ['a', 'b'].forEach((v) => producer.append(v)),
    );
    expect(errors).toEqual([]);
    expect(server.messages).toEqual(['a', 'b']);
    expect(flushed.done).toBeGreaterThanOrEqual(twoHours);
  });

  it('keeps its buffer bounds while it retries: appends past maxBufferedMessages are refused, and accepted again once the outage ends', () => {
    const refused: unknown[] = [];
    let later: boolean | undefined;
    const { server, errors } = run(
      { maxBufferedMessages: 3 },
      (now) => now < 10_000,
      (producer, at) => {
        ['a', 'b', 'c'].forEach((v) => producer.append(v));
        at(5_000, () => {
          try {
            producer.append('d');
          } catch (error) {
            refused.push(error);
          }
        });
        at(20_000, () => (later = producer.tryAppend('d')));
      },
    );
    expect(refused[0]).toBeInstanceOf(ProducerBufferFullError);
    expect(later).toBe(true);
    expect(errors).toEqual([]);
    expect(server.messages).toEqual(['a', 'b', 'c', 'd']);
  });

  it('retries at once when the network comes back (a connectivity wake), not when its backoff ends', () => {
    const wakes = new Subject<WakeReason>();
    let outcome!: { server: FakeServer; doneAt?: number };
    const scheduler = new TestScheduler((a, b) => expect(a).toEqual(b));
    scheduler.run(() => {
      const server = new FakeServer(() => scheduler.now());
      const context = {
        ...offlineContext(STREAM_URL),
        connectivity: { wakes: wakes.asObservable(), isOffline: () => false },
      };
      const network: Network = { arrival: () => 1, response: () => 1, drop: () => scheduler.now() < 1_000 };
      // A long backoff: without the wake, the retry after 1 000 ms waits until 10 000 or later.
      const producer = new IdempotentProducer<string>(
        context,
        'p1',
        { lingerMs: 0, retry: { initialDelayMs: 10_000, maxDelayMs: 10_000, jitter: false } },
        server.sender(network),
      );
      outcome = { server };
      timer(1).subscribe(() => {
        producer.append('a');
        producer.flush().subscribe(() => (outcome.doneAt = scheduler.now()));
      });
      timer(1_500).subscribe(() => wakes.next('online'));
    });
    expect(outcome.server.messages).toEqual(['a']);
    expect(outcome.doneAt).toBe(1_502);
  });

  it('honours a retry.maxRetries given to the producer: the failure itself stops it, values handed back by unsentValues()', () => {
    const { errors, producer } = run(
      { retry: { ...RETRY, maxRetries: 2 } },
      () => true,
      (producer) => ['a', 'b'].forEach((v) => producer.append(v)),
    );
    expect(errors).toHaveLength(1);
    expect(errors[0]).toBeInstanceOf(NetworkError);
    expect(producer.unsentValues()).toEqual(['a', 'b']);
  });

  it('does not wait out an answer no retry can change: a 400 stops the producer at once, values handed back', () => {
    const bad: BatchSender = () =>
      throwError(() => new BadRequestError({ url: STREAM_URL, status: 400, detail: 'no' }));
    let outcome!: { errors: DurableStreamError[]; producer: IdempotentProducer<string> };
    new TestScheduler((a, b) => expect(a).toEqual(b)).run(() => {
      const producer = new IdempotentProducer<string>(offlineContext(STREAM_URL), 'p1', { lingerMs: 0 }, bad);
      outcome = { errors: [], producer };
      producer.errors$.subscribe((error) => outcome.errors.push(error));
      timer(1).subscribe(() => ['x', 'y'].forEach((v) => producer.append(v)));
    });
    expect(outcome.errors.map((e) => e.code)).toEqual(['BAD_REQUEST']);
    expect(outcome.producer.unsentValues()).toEqual(['x', 'y']);
  });
});

describe('IdempotentProducer.unsentValues()', () => {
  it('is empty while the producer runs and once it closed', () => {
    const { producer } = run(
      {},
      () => false,
      (producer) => producer.append('a'),
    );
    expect(producer.unsentValues()).toEqual([]);
    let running!: readonly unknown[];
    run(
      {},
      () => true,
      (producer) => {
        producer.append('a');
        running = producer.unsentValues();
      },
    );
    expect(running).toEqual([]);
  });

  it("hands back, after abort(), the values of batches in flight, sealed, open, and closeStream()'s last one, in order", () => {
    let aborted!: IdempotentProducer;
    run(
      { maxBatchItems: 2, lingerMs: 100, maxInFlight: 1 },
      () => true,
      (producer, at) => {
        ['a', { b: 1 }, [2], 'd', null].forEach((v) => producer.append(v)); // [a b] in flight, [[2] d] waits, [null] open
        producer.closeStream({ last: true }).subscribe({ error: () => undefined });
        at(50, () => {
          producer.abort();
          aborted = producer;
        });
      },
      undefined,
      false,
    );
    expect(aborted.unsentValues()).toEqual(['a', { b: 1 }, [2], 'd', null, { last: true }]);
  });

  it('hands back the strings and bytes of a byte stream cut where they were appended, lone surrogates as U+FFFD, a leading U+FEFF kept', () => {
    let aborted!: IdempotentProducer;
    const values = [
      'plain',
      '\ufeffbom',
      '\ufeff',
      'é😀',
      'a\ud83d',
      '\ude00b',
      new Uint8Array([0, 255, 10]),
      'x'.repeat(9_000),
      'tail',
    ];
    run(
      { maxBatchItems: 3, lingerMs: 100 },
      () => true,
      (producer, at) => {
        values.forEach((v) => producer.append(v));
        at(50, () => {
          producer.abort();
          aborted = producer;
        });
      },
      of('text/plain'),
      false,
    );
    const expected = values.map((v) =>
      typeof v === 'string'
        ? v.replace(/[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g, '\ufffd')
        : v,
    );
    expect(aborted.unsentValues()).toEqual(expected);
  });

  it('hands back values that waited for the content type, as appended', () => {
    let aborted!: IdempotentProducer;
    run(
      {},
      () => true,
      (producer, at) => {
        ['text', { a: 1 }, new Uint8Array([7])].forEach((v) => producer.append(v));
        at(50, () => {
          producer.abort();
          aborted = producer;
        });
      },
      timer(1_000_000).pipe(map(() => 'application/json')),
      false,
    );
    expect(aborted.unsentValues()).toEqual(['text', { a: 1 }, new Uint8Array([7])]);
  });
});
