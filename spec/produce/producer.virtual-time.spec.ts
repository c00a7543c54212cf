import { finalize, map, of, throwError, timer, type Observable } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { DurableStreamError, StaleEpochError, StreamClosedError } from '../../lib/errors';
import { IdempotentProducer, type ProducerAck } from '../../lib/produce/idempotent-producer';
import {
  ProducerBufferFullError,
  ProducerClosedError,
  ProducerSourceError,
  ValueTooLargeError,
} from '../../lib/produce/producer-errors';
import type { ProducerOptions } from '../../lib/produce/producer-options';
import type { BatchRequest, BatchSender } from '../../lib/produce/send-batch';
import type { StreamContext } from '../../lib/http/stream-context';
import { offlineContext } from '../support/offline-context';
import { FAST_RETRY, FakeServer, STREAM_URL, instant, random, type Network } from './support/fake-server';
import { range } from '../support/range';
import { producerCodeLoaded } from '../support/producer-code';

const context = (contentType?: Observable<string>): StreamContext => offlineContext(STREAM_URL, contentType);

/** What a spec sees of one producer run. */
interface Run<T> {
  producer: IdempotentProducer<T>;
  server: FakeServer;
  acks: ProducerAck[];
  errors: DurableStreamError[];
  /** Runs `action` at virtual time `at`. */
  at(at: number, action: () => void): void;
  /** Subscribes to `source` at `at`, recording how it ends. */
  watch<V>(at: number, source: () => Observable<V>): { values: V[]; done?: number; error?: unknown };
}

/** Runs a producer against the fake server in virtual time; returns once everything scheduled has run. */
function simulate<T = unknown>(
  options: ProducerOptions,
  network: Network,
  script: (run: Run<T>) => void,
  extra: {
    sender?: (server: FakeServer) => BatchSender;
    context?: StreamContext;
    setup?: (server: FakeServer) => void;
  } = {},
): Run<T> {
  let run!: Run<T>;
  const scheduler = new TestScheduler((actual, expected) => expect(actual).toEqual(expected));
  scheduler.run(() => {
    const server = new FakeServer(() => scheduler.now());
    extra.setup?.(server);
    const producer = new IdempotentProducer<T>(
      extra.context ?? context(),
      'p1',
      { retry: FAST_RETRY, ...options },
      extra.sender?.(server) ?? server.sender(network),
    );
    const acks: ProducerAck[] = [];
    const errors: DurableStreamError[] = [];
    producer.acks$.subscribe((ack) => acks.push(ack));
    producer.errors$.subscribe((error) => errors.push(error));
    run = {
      producer,
      server,
      acks,
      errors,
      at: (at, action) => void timer(at).subscribe(action),
      watch: (at, source) => {
        const record: { values: unknown[]; done?: number; error?: unknown } = { values: [] };
        timer(at).subscribe(() =>
          source().subscribe({
            next: (value) => record.values.push(value),
            error: (error: unknown) => (record.error = error),
            complete: () => (record.done = scheduler.now()),
          }),
        );
        return record as never;
      },
    };
    script(run);
  });
  return run;
}

// The producer's running code is a lazy chunk: loaded first, so producers start at once in virtual time.
beforeAll(producerCodeLoaded);

describe('IdempotentProducer in virtual time', () => {
  describe('batching pipeline', () => {
    it('sends a batch lingerMs after its first append, numbered from (epoch, 0)', () => {
      const { server, acks } = simulate({ lingerMs: 5, epoch: 4 }, instant, ({ producer, at }) => {
        at(10, () => producer.append('a'));
        at(12, () => producer.append('b'));
        at(30, () => producer.append('c'));
      });
      expect(server.arrivals.map(({ at, epoch, seq, count }) => ({ at, epoch, seq, count }))).toEqual([
        { at: 15, epoch: 4, seq: 0, count: 2 },
        { at: 35, epoch: 4, seq: 1, count: 1 },
      ]);
      expect(server.messages).toEqual(['a', 'b', 'c']);
      expect(acks).toEqual([
        { epoch: 4, seq: 0, count: 2, nextOffset: '2', duplicate: false },
        { epoch: 4, seq: 1, count: 1, nextOffset: '3', duplicate: false },
      ]);
    });

    it('sends a batch at once when it reaches maxBatchItems', () => {
      const { server } = simulate({ lingerMs: 50, maxBatchItems: 3 }, instant, ({ producer, at }) => {
        at(1, () => range(0, 7).forEach((i) => producer.append(i)));
      });
      expect(server.arrivals.map(({ at, seq, count }) => [at, seq, count])).toEqual([
        [1, 0, 3],
        [1, 1, 3],
        [51, 2, 1],
      ]);
      expect(server.messages).toEqual(range(0, 7));
    });

    it('never sends a body over maxBatchBytes, its JSON framing counted: a value that does not fit goes in the next batch', () => {
      // Each value serializes to 10 bytes: "xxxxxxxx" with quotes. Two make 23 bytes with [ , ]; three would make 34.
      const bodies: number[] = [];
      const { server } = simulate(
        { lingerMs: 50, maxBatchBytes: 25 },
        instant,
        ({ producer, at }) => at(1, () => range(0, 4).forEach(() => producer.append('xxxxxxxx'))),
        {
          sender: (server) => (request) => (bodies.push(request.body!.byteLength), server.sender()(request)),
        },
      );
      expect(server.arrivals.map(({ at, count }) => [at, count])).toEqual([
        [1, 2],
        [51, 2],
      ]);
      expect(bodies).toEqual([23, 23]);
    });

    it('refuses at append a value whose body alone would pass maxBatchBytes, and delivers the others', () => {
      let refused: unknown;
      // "xxxxxxxx" is 10 bytes: 12 with its brackets. 13 bytes in all fit 13; 14 do not.
      const { server, errors } = simulate({ lingerMs: 1, maxBatchBytes: 13 }, instant, ({ producer, at }) =>
        at(1, () => {
          producer.append('a');
          try {
            producer.append('xxxxxxxxx'); // 11 bytes, 13 in brackets: fits alone
            producer.append('xxxxxxxxxx'); // 12 bytes, 14 in brackets
          } catch (error) {
            refused = error;
          }
          producer.append('b');
        }),
      );
      expect(refused).toBeInstanceOf(ValueTooLargeError);
      expect(refused).toMatchObject({ limit: 'maxBatchBytes', bytes: 14, max: 13, value: 'xxxxxxxxxx' });
      expect(errors).toEqual([]);
      expect(server.messages).toEqual(['a', 'xxxxxxxxx', 'b']);
    });

    it('closes a batch by maxBatchBytes at the exact UTF-8 size, though texts wait to be encoded', () => {
      // Each value serializes to 18 bytes in 10 UTF-16 units ("éééééééé" with quotes): framed, n values take
      // 19n + 1 bytes. Counting units would fit 8, three bytes a unit 3; exactly, 5 (96 bytes), not 6 (115).
      const value = 'é'.repeat(8);
      const { server } = simulate({ lingerMs: 50, maxBatchBytes: 100 }, instant, ({ producer, at }) => {
        at(1, () => range(0, 13).forEach(() => producer.append(value)));
      });
      expect(server.arrivals.map(({ at, count }) => [at, count])).toEqual([
        [1, 5],
        [1, 5],
        [51, 3],
      ]);
      expect(server.messages).toEqual(range(0, 13).map(() => value));
    });

    it('keeps at most maxInFlight batches on the wire', () => {
      let onWire = 0;
      let most = 0;
      const { server } = simulate(
        { lingerMs: 0, maxBatchItems: 1, maxInFlight: 3 },
        instant,
        ({ producer, at }) => at(1, () => range(0, 12).forEach((i) => producer.append(i))),
        {
          sender: (server) => {
            const inner = server.sender({ arrival: () => 5, response: () => 5 });
            return (request) => {
              onWire++;
              most = Math.max(most, onWire);
              return inner(request).pipe(finalize(() => onWire--));
            };
          },
        },
      );
      expect(most).toBe(3);
      expect(server.messages).toEqual(range(0, 12));
      // 1 alone (first of the epoch), then 3 at a time, each 10 ms.
      expect(server.arrivals.map(({ at }) => at)).toEqual([6, 16, 16, 16, 26, 26, 26, 36, 36, 36, 46, 46]);
    });
  });

  describe('flush and close', () => {
    it('flush() emits once everything appended before it is acknowledged, cutting the linger short', () => {
      let flushed!: { values: unknown[]; done?: number };
      const { server, producer } = simulate({ lingerMs: 100 }, { arrival: () => 3, response: () => 3 }, (run) => {
        run.at(1, () => run.producer.append('a'));
        run.at(2, () => run.producer.append('b'));
        flushed = run.watch(4, () => run.producer.flush());
        run.at(5, () => run.producer.append('c'));
      });
      expect(server.arrivals[0]).toMatchObject({ at: 7, count: 2 });
      expect(flushed).toEqual({ values: [undefined], done: 10 });
      expect(server.arrivals[1]).toMatchObject({ at: 108, count: 1 }); // c lingers in full
      expect(producer.pendingCount).toBe(0);
      expect(server.messages).toEqual(['a', 'b', 'c']);
    });

    it('flush() waits only for values appended before it', () => {
      let flushed!: { values: unknown[]; done?: number };
      simulate(
        { lingerMs: 100, maxBatchItems: 1 },
        { arrival: (request) => (request.seq === 1 ? 50 : 1), response: () => 1 },
        (run) => {
          run.at(1, () => run.producer.append('a')); // seq 0: lands at 3
          flushed = run.watch(2, () => run.producer.flush());
          run.at(3, () => run.producer.append('b')); // seq 1: lands at 54
        },
      );
      expect(flushed).toEqual({ values: [undefined], done: 3 });
    });

    it('flush() with nothing pending emits at once', () => {
      let flushed!: { values: unknown[]; done?: number };
      simulate({}, instant, (run) => (flushed = run.watch(7, () => run.producer.flush())));
      expect(flushed).toEqual({ values: [undefined], done: 7 });
    });

    it('close() delivers everything, completes acks$ and refuses further appends; the stream stays open', () => {
      let closed!: { values: unknown[]; done?: number };
      let completed = false;
      const { server, producer } = simulate({ lingerMs: 100 }, { arrival: () => 2, response: () => 2 }, (run) => {
        run.producer.acks$.subscribe({ complete: () => (completed = true) });
        run.at(1, () => ['a', 'b'].forEach((v) => run.producer.append(v)));
        closed = run.watch(3, () => run.producer.finish());
      });
      expect(closed.done).toBe(7);
      expect(completed).toBe(true);
      expect(server.messages).toEqual(['a', 'b']);
      expect(server.closed).toBe(false);
      expect(() => producer.append('late')).toThrow(ProducerClosedError);
    });

    it('closeStream(value) sends the last value with Stream-Closed after every earlier batch, and emits the final offset', () => {
      const requests: BatchRequest[] = [];
      let result!: { values: unknown[]; done?: number };
      const { server, acks } = simulate(
        { lingerMs: 1, maxBatchItems: 2 },
        instant,
        (run) => {
          run.at(1, () => ['a', 'b', 'c'].forEach((v) => run.producer.append(v)));
          result = run.watch(1, () => run.producer.closeStream({ bye: true }));
        },
        { sender: (server) => (request) => (requests.push(request), server.sender()(request)) },
      );
      expect(server.messages).toEqual(['a', 'b', 'c', { bye: true }]);
      expect(server.closed).toBe(true);
      expect(requests.map((r) => [r.seq, r.close])).toEqual([
        [0, false],
        [1, false],
        [2, true],
      ]);
      expect(result).toEqual({ values: [{ finalOffset: '4' }], done: 1 });
      expect(acks.at(-1)).toMatchObject({ seq: 2, count: 1 });
    });

    it('closeStream() without a value sends a close-only request; a second call shares the outcome', () => {
      const requests: BatchRequest[] = [];
      let first!: { values: unknown[] };
      let second!: { values: unknown[] };
      simulate(
        {},
        instant,
        (run) => {
          run.at(1, () => run.producer.append('a'));
          first = run.watch(2, () => run.producer.closeStream());
          second = run.watch(3, () => run.producer.closeStream());
        },
        {
          sender: (server) => (request) => (
            requests.push(request),
            server.sender({ arrival: () => 1, response: () => 1 })(request)
          ),
        },
      );
      expect(requests.map((r) => [r.seq, r.close, r.body && new TextDecoder().decode(r.body)])).toEqual([
        [0, false, '["a"]'],
        [1, true, undefined],
      ]);
      expect(first.values).toEqual([{ finalOffset: '1' }]);
      expect(second.values).toEqual(first.values);
    });

    it('closeStream() after close() fails with ProducerClosedError', () => {
      let late!: { error?: unknown };
      simulate({}, instant, (run) => {
        run.watch(1, () => run.producer.finish());
        late = run.watch(2, () => run.producer.closeStream('x'));
      });
      expect(late.error).toBeInstanceOf(ProducerClosedError);
    });

    it('a retried closeStream() request is answered as a duplicate and still emits the final offset', () => {
      let result!: { values: unknown[] };
      const { server } = simulate(
        {},
        { arrival: () => 1, response: () => 1, lose: (request, attempt) => request.close && attempt === 1 },
        (run) => (result = run.watch(1, () => run.producer.closeStream('last'))),
      );
      expect(server.arrivals.map((a) => a.outcome)).toEqual(['accepted', 'duplicate']);
      expect(server.messages).toEqual(['last']);
      expect(result.values).toEqual([{ finalOffset: '1' }]);
    });

    it('abort() stops without sending what is pending; flush() then fails', () => {
      let flushed!: { error?: unknown };
      let seen: number[] = [];
      const { server, producer } = simulate({ lingerMs: 10 }, { arrival: () => 100, response: () => 0 }, (run) => {
        run.at(1, () => run.producer.append('a')); // sent at 11, would arrive at 111
        flushed = run.watch(12, () => run.producer.flush());
        run.at(13, () => run.producer.append('b')); // lingering
        run.at(20, () => {
          seen = [run.producer.inFlightCount, run.producer.pendingCount];
          run.producer.abort();
        });
      });
      expect(seen).toEqual([1, 2]); // a in flight, b lingering
      expect(server.arrivals).toEqual([]); // the request in flight was aborted, b never sent
      expect(flushed.error).toBeInstanceOf(ProducerClosedError);
      expect((flushed.error as ProducerClosedError).reason).toBe('aborted');
      expect(() => producer.append('b')).toThrow(ProducerClosedError);
    });
  });

  describe('Observer', () => {
    it('source$.subscribe(producer) appends every value, and completion closes the producer', () => {
      const { server, producer } = simulate({ lingerMs: 1 }, instant, ({ producer }) => {
        timer(1).subscribe(() => of(1, [2, 3], { four: 4 }).subscribe(producer));
      });
      expect(server.messages).toEqual([1, [2, 3], { four: 4 }]);
      expect(() => producer.append(5)).toThrow(ProducerClosedError);
    });

    it('reports a source error as ProducerSourceError, delivers what came before, and closes', () => {
      const { server, errors } = simulate({ lingerMs: 1 }, instant, ({ producer }) => {
        timer(1).subscribe(() => {
          producer.next('a');
          producer.error(new Error('upstream broke'));
        });
      });
      expect(server.messages).toEqual(['a']);
      expect(errors).toHaveLength(1);
      expect(errors[0]).toBeInstanceOf(ProducerSourceError);
      expect(errors[0].message).toMatch(/upstream broke/);
    });

    it('reports a value next() cannot take (buffer full) and closes after delivering the rest', () => {
      const { server, errors } = simulate({ lingerMs: 1, maxBufferedMessages: 2 }, instant, ({ producer }) => {
        timer(1).subscribe(() => of('a', 'b', 'c', 'd').subscribe(producer));
      });
      expect(server.messages).toEqual(['a', 'b']);
      expect(errors[0]).toBeInstanceOf(ProducerBufferFullError);
      expect(errors.slice(1).every((error) => error instanceof ProducerClosedError)).toBe(true);
    });
  });

  describe('bounded buffer', () => {
    it('refuses appends past maxBufferedMessages until acknowledgements make room', () => {
      let full: unknown;
      let refused: boolean | undefined;
      let later: boolean | undefined;
      simulate({ lingerMs: 1, maxBufferedMessages: 3 }, { arrival: () => 5, response: () => 5 }, ({ producer, at }) => {
        at(1, () => {
          ['a', 'b', 'c'].forEach((v) => producer.append(v));
          try {
            producer.append('d');
          } catch (error) {
            full = error;
          }
          refused = producer.tryAppend('d');
        });
        at(13, () => (later = producer.tryAppend('d'))); // acknowledged at 12
      });
      expect(full).toBeInstanceOf(ProducerBufferFullError);
      expect(full).toMatchObject({ limit: 'maxBufferedMessages', pendingMessages: 3, producerId: 'p1' });
      expect((full as Error).message).toMatch(/Producer 'p1' buffer is full.*\(http:\/\/fake\/stream\)/);
      expect(refused).toBe(false);
      expect(later).toBe(true);
    });

    it('refuses appends past maxBufferedBytes, and a value that can never fit', () => {
      let refused: boolean | undefined;
      let tooBig: unknown;
      simulate({ lingerMs: 1, maxBufferedBytes: 25 }, stalledNetwork(), ({ producer, at }) => {
        at(1, () => {
          producer.append('xxxxxxxx'); // 10 bytes
          producer.append('xxxxxxxx');
          refused = producer.tryAppend('xxxxxxxx');
          try {
            producer.append('x'.repeat(30));
          } catch (error) {
            tooBig = error;
          }
        });
      });
      expect(refused).toBe(false);
      expect(tooBig).toBeInstanceOf(ValueTooLargeError);
      expect(tooBig).toMatchObject({ limit: 'maxBufferedBytes', bytes: 32, max: 25 });
    });

    it('refuses by maxBufferedBytes at the exact UTF-8 size, and counts waiting texts exactly', () => {
      // 18 bytes, 10 UTF-16 units each: three fit in 60 bytes, a fourth does not.
      const value = 'é'.repeat(8);
      const accepted: boolean[] = [];
      const pending: number[] = [];
      simulate({ lingerMs: 100, maxBufferedBytes: 60 }, stalledNetwork(), ({ producer, at }) => {
        at(1, () => {
          for (let i = 0; i < 4; i++) {
            accepted.push(producer.tryAppend(value));
            pending.push(producer.pendingBytes);
          }
        });
      });
      expect(accepted).toEqual([true, true, true, false]);
      expect(pending).toEqual([18, 36, 54, 54]);
    });

    it('reports pendingCount, pendingBytes and inFlightCount', () => {
      const seen: number[][] = [];
      simulate({ lingerMs: 1, maxBatchItems: 2 }, { arrival: () => 5, response: () => 5 }, ({ producer, at }) => {
        at(1, () => ['a', 'b', 'c'].forEach((v) => producer.append(v)));
        for (const t of [1, 3, 12, 30])
          at(t, () =>
            seen.push([t, producer.pendingCount, producer.pendingBytes, producer.inFlightCount, producer.nextSeq]),
          );
      });
      expect(seen).toEqual([
        [1, 3, 9, 1, 1], // [a, b] sent; c waits its linger
        [3, 3, 9, 2, 1], // c batched, waiting for the first batch of the epoch
        [12, 1, 3, 1, 2], // [a, b] acknowledged at 11, c sent
        [30, 0, 0, 0, 2],
      ]);
    });
  });

  describe('exactly once, in order', () => {
    it('resends a batch that met a gap once the earlier one is acknowledged', () => {
      // seq 1 is slow to arrive, so seq 2 overtakes it.
      const { server } = simulate(
        { lingerMs: 0, maxBatchItems: 1, maxInFlight: 3 },
        { arrival: (request, attempt) => (request.seq === 1 && attempt === 1 ? 10 : 1), response: () => 1 },
        ({ producer, at }) => at(1, () => ['a', 'b', 'c', 'd'].forEach((v) => producer.append(v))),
      );
      expect(server.messages).toEqual(['a', 'b', 'c', 'd']);
      // 2 and 3 left together after seq 0 and overtook 1; each goes again once 1 is acknowledged.
      expect(server.arrivals.filter((a) => a.outcome === 'gap').map((a) => [a.seq, a.at])).toEqual([
        [2, 4],
        [3, 4],
      ]);
      expect(server.arrivals.find((a) => a.seq === 1)?.at).toBe(13);
      expect(server.arrivals.filter((a) => a.outcome === 'accepted').map((a) => a.seq)).toEqual([0, 1, 2, 3]);
    });

    it('retries a lost response with the same (epoch, seq): the server answers duplicate, nothing is written twice', () => {
      const { server, acks } = simulate(
        { lingerMs: 0, maxBatchItems: 1 },
        { arrival: () => 1, response: () => 1, lose: (request, attempt) => request.seq === 1 && attempt === 1 },
        ({ producer, at }) => at(1, () => ['a', 'b', 'c'].forEach((v) => producer.append(v))),
      );
      expect(server.messages).toEqual(['a', 'b', 'c']);
      expect(server.arrivals.filter((a) => a.seq === 1).map((a) => a.outcome)).toEqual(['accepted', 'duplicate']);
      expect(acks.find((a) => a.seq === 1)).toMatchObject({ duplicate: true, count: 1 });
    });

    it('stops when the server has lost the producer state (a gap with nothing in flight)', () => {
      let flushed!: { error?: unknown };
      const { errors } = simulate({ lingerMs: 0 }, instant, (run) => {
        run.at(1, () => run.producer.append('a'));
        run.at(5, () => {
          run.server.state = undefined; // e.g. state expired
          run.producer.append('b');
        });
        flushed = run.watch(6, () => run.producer.flush());
      });
      expect(errors.map((e) => e.code)).toEqual(['SEQUENCE_GAP']);
      expect((flushed.error as DurableStreamError).code).toBe('SEQUENCE_GAP');
    });

    it.each(range(1, 21))('delivers 300 values exactly once, in order, through a hostile network (seed %d)', (seed) => {
      const rand = random(seed);
      const { server, producer, errors } = simulate(
        { lingerMs: 2, maxBatchItems: 7, maxInFlight: 4 },
        {
          arrival: () => Math.floor(rand() * 8),
          response: () => Math.floor(rand() * 8),
          drop: () => rand() < 0.1,
          lose: () => rand() < 0.1,
        },
        ({ producer, at }) => {
          for (let i = 0; i < 300; i++) at(Math.floor(i / 3), () => producer.append(i));
          at(120, () => producer.finish().subscribe());
        },
        {},
      );
      expect(errors).toEqual([]);
      expect(server.messages).toEqual(range(0, 300));
      expect(producer.pendingCount).toBe(0);
      // The schedule did exercise every hazard.
      expect(server.arrivals.some((a) => a.outcome === 'gap')).toBe(true);
      expect(server.arrivals.some((a) => a.outcome === 'dropped')).toBe(true);
      expect(server.arrivals.some((a) => a.outcome === 'duplicate')).toBe(true);
    });

    it.each(range(1, 11))('with autoClaim, survives repeated takeovers exactly once and in order (seed %d)', (seed) => {
      const rand = random(seed);
      const { server, producer, errors } = simulate(
        { lingerMs: 2, maxBatchItems: 5, maxInFlight: 4, autoClaim: true },
        // Requests may be dropped before the server (never lost after it): a
        // takeover then leaves no doubt about what was written.
        { arrival: () => Math.floor(rand() * 6), response: () => Math.floor(rand() * 6), drop: () => rand() < 0.1 },
        ({ producer, server, at }) => {
          for (let i = 0; i < 200; i++) at(Math.floor(i / 2), () => producer.append(i));
          for (const t of [15, 40, 41, 70]) at(t, () => server.fence((server.state?.epoch ?? 0) + 3));
          at(110, () => producer.finish().subscribe());
        },
      );
      expect(errors).toEqual([]);
      expect(server.messages).toEqual(range(0, 200));
      expect(producer.epoch).toBeGreaterThanOrEqual(4 * 3);
      expect(server.arrivals.filter((a) => a.outcome === 'bad')).toEqual([]);
      expect(server.arrivals.some((a) => a.outcome === 'stale')).toBe(true);
    });
  });

  describe('epochs', () => {
    it('without autoClaim, a stale epoch stops the producer: StaleEpochError, failing flush, refused appends', () => {
      let flushed!: { error?: unknown };
      const { errors, producer, server } = simulate(
        { lingerMs: 0 },
        instant,
        (run) => {
          run.at(1, () => run.producer.append('a'));
          flushed = run.watch(1, () => run.producer.flush());
        },
        { setup: (server) => server.fence(5) },
      );
      expect(errors).toHaveLength(1);
      expect(errors[0]).toBeInstanceOf(StaleEpochError);
      expect((errors[0] as StaleEpochError).currentEpoch).toBe(5);
      expect(flushed.error).toBe(errors[0]);
      expect(server.messages).toEqual([]);
      expect(() => producer.append('b')).toThrow(ProducerClosedError);
      expect(producer.pendingCount).toBe(1);
    });

    it('with autoClaim, takes the server epoch + 1 and resends from seq 0', () => {
      const { server, producer, errors } = simulate(
        { lingerMs: 0, autoClaim: true },
        instant,
        ({ producer, at }) => at(1, () => producer.append('a')),
        { setup: (server) => server.fence(5) },
      );
      expect(errors).toEqual([]);
      expect(server.arrivals.map(({ epoch, seq, outcome }) => [epoch, seq, outcome])).toEqual([
        [0, 0, 'stale'],
        [6, 0, 'accepted'],
      ]);
      expect(producer.epoch).toBe(6);
      expect(server.messages).toEqual(['a']);
    });

    it('with autoClaim, re-sequences batches in flight during a takeover under the new epoch, in order, without duplicates', () => {
      const { server, producer, errors } = simulate(
        { lingerMs: 0, maxBatchItems: 1, maxInFlight: 4, autoClaim: true },
        { arrival: () => 2, response: () => 2 },
        ({ producer, server, at }) => {
          at(1, () => range(0, 4).forEach((i) => producer.append(i)));
          at(6, () => server.fence(9)); // after seq 0 landed, while 1..3 are on the way
          at(7, () => range(4, 8).forEach((i) => producer.append(i)));
        },
      );
      expect(errors).toEqual([]);
      expect(server.messages).toEqual(range(0, 8));
      expect(producer.epoch).toBe(10);
      const accepted = server.arrivals.filter((a) => a.outcome === 'accepted');
      expect(accepted.map(({ epoch, seq }) => [epoch, seq])).toEqual([[0, 0], ...range(0, 7).map((seq) => [10, seq])]);
      expect(server.arrivals.some((a) => a.outcome === 'bad')).toBe(false);
    });

    it('with autoClaim, gives up with StaleEpochError when claims keep failing', () => {
      const { errors } = simulate(
        { lingerMs: 0, autoClaim: true },
        instant,
        ({ producer, at }) => at(1, () => producer.append('a')),
        {
          sender: (server) => {
            const inner = server.sender();
            return (request) => {
              server.fence(request.epoch + 1); // someone always claims first
              return inner(request);
            };
          },
        },
      );
      expect(errors.map((e) => e.code)).toEqual(['STALE_EPOCH']);
    });

    it('restart() moves to the next epoch from seq 0 after in-flight batches settle', () => {
      const { server, producer } = simulate(
        { lingerMs: 0, maxBatchItems: 1, epoch: 2 },
        { arrival: () => 2, response: () => 2 },
        ({ producer, at }) => {
          at(1, () => ['a', 'b'].forEach((v) => producer.append(v)));
          at(6, () => {
            producer.append('c'); // on the way in epoch 2
            producer.restart();
            producer.append('d');
          });
        },
      );
      expect(server.arrivals.map(({ epoch, seq, outcome }) => [epoch, seq, outcome])).toEqual([
        [2, 0, 'accepted'],
        [2, 1, 'accepted'],
        [2, 2, 'accepted'],
        [3, 0, 'accepted'],
      ]);
      expect(server.messages).toEqual(['a', 'b', 'c', 'd']);
      expect([producer.epoch, producer.nextSeq]).toEqual([3, 1]);
    });
  });

  describe('content type', () => {
    it('encodes values appended before the content type is known once it is', () => {
      const { server } = simulate(
        { lingerMs: 1 },
        instant,
        ({ producer, at }) => at(1, () => ['text', { a: 1 }].forEach((v) => producer.append(v))),
        { context: context(timer(10).pipe(map(() => 'application/json'))) },
      );
      expect(server.arrivals[0]).toMatchObject({ at: 11, count: 2 }); // learned 10 ms after the first append
      expect(server.messages).toEqual(['text', { a: 1 }]);
    });

    it('sends the values that waited for the content type as soon as it is learned, then batches as usual', () => {
      const { server } = simulate(
        { lingerMs: 20 },
        instant,
        ({ producer, at }) => {
          at(1, () => ['a', { b: 2 }].forEach((v) => producer.append(v))); // waiting: the framing is unknown
          at(15, () => producer.append('c')); // learned at 11: written straight into a new batch, which lingers
          at(30, () => producer.append([3]));
        },
        { context: context(timer(10).pipe(map(() => 'application/json'))) },
      );
      expect(server.arrivals.map(({ at, count }) => [at, count])).toEqual([
        [11, 2],
        [35, 2],
      ]);
      expect(server.messages).toEqual(['a', { b: 2 }, 'c', [3]]);
    });

    it('on a byte stream, sends the bytes of strings and Uint8Arrays in order, each string encoded as it would be alone', () => {
      const bodies: number[][] = [];
      const sender = (): BatchSender => (request) => {
        bodies.push([...request.body!]);
        return of({ nextOffset: String(bodies.length), duplicate: false });
      };
      simulate(
        { lingerMs: 1 },
        instant,
        // A lone high surrogate then a lone low one: joined, they would make one emoji (4 bytes), not two U+FFFD (3 each).
        ({ producer, at }) =>
          at(1, () => ['a\ud83d', '\ude00b', new Uint8Array([1, 2]), 'é'].forEach((v) => producer.append(v))),
        { sender, context: context(of('application/octet-stream')) },
      );
      expect(bodies).toEqual([[0x61, 0xef, 0xbf, 0xbd, 0xef, 0xbf, 0xbd, 0x62, 1, 2, 0xc3, 0xa9]]);
    });

    it('stops with the error when the content type cannot be learned', () => {
      const { errors } = simulate({ lingerMs: 1 }, instant, ({ producer, at }) => at(1, () => producer.append('a')), {
        context: context(throwError(() => new StreamClosedError({ url: STREAM_URL, status: 409 }))),
      });
      expect(errors.map((e) => e.code)).toEqual(['STREAM_CLOSED']);
    });
  });
});

function stalledNetwork(): Network {
  return { arrival: () => 1_000_000, response: () => 0 };
}
