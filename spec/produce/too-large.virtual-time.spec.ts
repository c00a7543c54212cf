import { of, throwError, timer, type Observable } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { PayloadTooLargeError, type DurableStreamError } from '../../lib/errors';
import { IdempotentProducer } from '../../lib/produce/idempotent-producer';
import { ValueTooLargeError } from '../../lib/produce/producer-errors';
import type { ProducerOptions } from '../../lib/produce/producer-options';
import type { BatchRequest, BatchSender } from '../../lib/produce/send-batch';
import { offlineContext } from '../support/offline-context';
import { FAST_RETRY, FakeServer, STREAM_URL } from './support/fake-server';
import { range } from '../support/range';
import { producerCodeLoaded } from '../support/producer-code';

/** A value of about `bytes` bytes of JSON, with what a JSON scanner could trip on inside its strings. */
const sized = (n: number, bytes: number) => ({
  n,
  tricky: '[,]{"\\',
  pad: 'x'.repeat(Math.max(0, bytes - 40 - String(n).length)),
});

interface Outcome {
  server: FakeServer;
  producer: IdempotentProducer;
  errors: DurableStreamError[];
  closed?: unknown;
}

/** A producer on the fake server (JSON), behind a proxy that refuses bodies over `bodyLimit` bytes with 413; `script` runs at 1 ms. */
function run(
  options: ProducerOptions,
  bodyLimit: number,
  script: (producer: IdempotentProducer, outcome: Outcome) => void,
): Outcome {
  let outcome!: Outcome;
  new TestScheduler((actual, expected) => expect(actual).toEqual(expected)).run(() => {
    const server = new FakeServer();
    server.bodyLimit = bodyLimit;
    const producer = new IdempotentProducer<unknown>(
      offlineContext(STREAM_URL),
      'p1',
      { retry: FAST_RETRY, lingerMs: 1, ...options },
      server.sender({ arrival: () => 1, response: () => 1 }),
    );
    outcome = { server, producer, errors: [] };
    producer.errors$.subscribe((error) => outcome.errors.push(error));
    timer(1).subscribe(() => script(producer, outcome));
  });
  return outcome;
}

// The producer's running code is a lazy chunk: loaded first, so producers start at once in virtual time.
beforeAll(producerCodeLoaded);

describe('IdempotentProducer behind a body limit (413, virtual time)', () => {
  it('splits a refused batch in halves until each fits, and delivers every value once, in order', () => {
    const values = range(0, 10).map((n) => sized(n, 30));
    const { server, errors, producer } = run({}, 100, (producer) => values.forEach((v) => producer.append(v)));
    expect(errors).toEqual([]);
    expect(server.messages).toEqual(values);
    expect(server.arrivals.filter((a) => a.outcome === 'too-large').length).toBeGreaterThanOrEqual(3);
    // Each request that landed was in order, seq after seq.
    const landed = server.arrivals.filter((a) => a.outcome === 'accepted');
    expect(landed.map((a) => a.seq)).toEqual(range(0, landed.length));
    expect(landed.every((a) => a.count <= 3)).toBe(true);
    expect(producer.pendingCount).toBe(0);
  });

  it('renumbers the batches already on their way behind a refused one: nothing lost, duplicated or out of order', () => {
    const values = range(0, 40).map((n) => sized(n, n % 7 === 3 ? 100 : 20));
    const { server, errors } = run({ maxBatchItems: 4, maxInFlight: 4, lingerMs: 0 }, 200, (producer) =>
      values.forEach((v) => producer.append(v)),
    );
    expect(errors).toEqual([]);
    expect(server.messages).toEqual(values);
    // Batches were on their way behind refused ones (they met gaps), two refused batches at once among them.
    expect(server.arrivals.filter((a) => a.outcome === 'too-large').length).toBeGreaterThanOrEqual(2);
    expect(server.arrivals.some((a) => a.outcome === 'gap')).toBe(true);
    expect(server.arrivals.filter((a) => a.outcome === 'bad' || a.outcome === 'duplicate')).toEqual([]);
  });

  it('hands back a value refused alone, delivers the values around it, and goes on', () => {
    const big = sized(99, 500);
    let flushed = false;
    const { server, errors, producer } = run({ maxBatchItems: 3 }, 200, (producer) => {
      ['a', 'b', big, 'c', 'd'].forEach((v) => producer.append(v));
      producer.flush().subscribe(() => (flushed = true));
    });
    expect(server.messages).toEqual(['a', 'b', 'c', 'd']);
    expect(errors).toHaveLength(1);
    const error = errors[0] as ValueTooLargeError;
    expect(error).toBeInstanceOf(ValueTooLargeError);
    expect(error).toMatchObject({ limit: 'server', status: 413, value: big, code: 'VALUE_TOO_LARGE' });
    expect(error.cause).toBeInstanceOf(PayloadTooLargeError);
    expect(flushed).toBe(true);
    expect(producer.pendingCount).toBe(0);
    expect(() => producer.append('e')).not.toThrow();
  });

  it("closes the stream without closeStream()'s last value when the server refuses it, handing it back", () => {
    const big = sized(1, 500);
    const { server, errors } = run({}, 200, (producer, outcome) => {
      producer.append('a');
      producer.closeStream(big).subscribe((result) => (outcome.closed = result));
    });
    expect(server.messages).toEqual(['a']);
    expect(server.closed).toBe(true);
    expect(errors.map((e) => [e.code, (e as ValueTooLargeError).value])).toEqual([['VALUE_TOO_LARGE', big]]);
  });

  it('stops when a close-only request is refused as too large: there is nothing smaller to send', () => {
    const tooLarge: BatchSender = () => throwError(() => new PayloadTooLargeError({ url: STREAM_URL, status: 413 }));
    let errors: DurableStreamError[] = [];
    new TestScheduler((a, b) => expect(a).toEqual(b)).run(() => {
      const producer = new IdempotentProducer(offlineContext(STREAM_URL), 'p1', {}, tooLarge);
      errors = [];
      producer.errors$.subscribe((error) => errors.push(error));
      timer(1).subscribe(() => producer.closeStream().subscribe({ error: () => undefined }));
    });
    expect(errors.map((e) => e.code)).toEqual(['PAYLOAD_TOO_LARGE']);
  });
});

describe('IdempotentProducer behind a body limit, on a byte stream', () => {
  it('cuts a refused body where its values end: strings (multi-byte) and bytes arrive whole, in order', () => {
    const limit = 24;
    const stored: number[] = [];
    const bodies: number[] = [];
    let seq = 0;
    // Accepts bodies up to `limit` bytes, in seq order; 413 for larger ones.
    const sender: BatchSender = (request: BatchRequest): Observable<{ nextOffset: string; duplicate: boolean }> => {
      const size = request.body?.byteLength ?? 0;
      if (size > limit) return throwError(() => new PayloadTooLargeError({ url: STREAM_URL, status: 413 }));
      expect(request.seq).toBe(seq++);
      bodies.push(size);
      stored.push(...request.body!);
      return of({ nextOffset: String(stored.length), duplicate: false });
    };
    const values: Array<string | Uint8Array> = [
      'héllo',
      new Uint8Array([1, 2, 3, 4, 5]),
      '😀😀',
      'plain text',
      new Uint8Array([9]),
      'ünïcödé',
      'end',
    ];
    const errors: unknown[] = [];
    new TestScheduler((a, b) => expect(a).toEqual(b)).run(() => {
      const producer = new IdempotentProducer<string | Uint8Array>(
        offlineContext(STREAM_URL, of('text/plain')),
        'p1',
        { lingerMs: 1 },
        sender,
      );
      producer.errors$.subscribe((error) => errors.push(error));
      timer(1).subscribe(() => values.forEach((v) => producer.append(v)));
    });
    const encoded = values.flatMap((v) => [...(typeof v === 'string' ? new TextEncoder().encode(v) : v)]);
    expect(errors).toEqual([]);
    expect(stored).toEqual(encoded);
    expect(bodies.every((size) => size <= limit)).toBe(true);
    expect(bodies.length).toBeGreaterThan(1);
  });
});
