import { lastValueFrom, of, toArray } from 'rxjs';
import type { DurableStreamError } from '../../lib/errors';
import type { IdempotentProducer } from '../../lib/produce/idempotent-producer';
import { memoryOutbox } from '../../lib/produce/outbox/memory-outbox';
import type { BatchRequest, BatchSender } from '../../lib/produce/send-batch';
import { offlineContext } from '../support/offline-context';
import { STREAM_URL } from './support/fake-server';

type ProducerModule = typeof import('../../lib/produce/idempotent-producer');

/** The producer as a page first loads it: its running code (a lazy chunk) not loaded yet. */
function freshProducerModule(): ProducerModule {
  let module!: ProducerModule;
  jest.isolateModules(() => {
    module = require('../../lib/produce/idempotent-producer') as ProducerModule;
  });
  return module;
}

/** A sender that records each request and acknowledges it. */
function recordingSender(): { readonly sent: BatchRequest[]; readonly send: BatchSender } {
  const sent: BatchRequest[] = [];
  return { sent, send: (request) => (sent.push(request), of({ nextOffset: `${sent.length}`, duplicate: false })) };
}

/** What `act` throws (undefined when it does not). */
function thrown(act: () => void): unknown {
  try {
    act();
  } catch (error) {
    return error;
  }
  return undefined;
}

const bodyText = (request: BatchRequest) => new TextDecoder().decode(request.body);

function makeProducer(module: ProducerModule, send: BatchSender): IdempotentProducer<number> {
  return new module.IdempotentProducer<number>(offlineContext(STREAM_URL), 'p', { lingerMs: 0 }, send);
}

describe("the producer's running code, a lazy chunk", () => {
  afterEach(() => {
    jest.dontMock('../../lib/produce/start-producer');
    jest.dontMock('../../lib/produce/outbox/durable');
  });

  it('holds what is appended while it loads, then delivers it, once, in order', async () => {
    const { sent, send } = recordingSender();
    const producer = makeProducer(freshProducerModule(), send);
    producer.append(1);
    producer.append(2);
    producer.append(3);
    expect(sent).toEqual([]);
    expect(producer.pendingCount).toBe(3);
    const acks = lastValueFrom(producer.acks$.pipe(toArray()));
    await lastValueFrom(producer.finish());
    expect(sent.map((request) => [request.epoch, request.seq, bodyText(request)])).toEqual([[0, 0, '[1,2,3]']]);
    expect((await acks).map(({ count }) => count)).toEqual([3]);
    expect(producer.pendingCount).toBe(0);
  });

  it('starts a producer made once it is loaded at once', async () => {
    const module = freshProducerModule();
    await lastValueFrom(makeProducer(module, recordingSender().send).finish());
    const producer = makeProducer(module, recordingSender().send);
    const statuses: string[] = [];
    producer.status$.subscribe(({ state }) => statuses.push(state));
    expect(statuses).toEqual(['delivered']);
    expect(producer.epoch).toBe(0);
  });

  it('applies a restart() asked for while it loads once it has', async () => {
    const { sent, send } = recordingSender();
    const producer = makeProducer(freshProducerModule(), send);
    producer.restart();
    producer.append(1);
    await lastValueFrom(producer.finish());
    expect(producer.epoch).toBe(1);
    expect(sent.map(({ epoch, seq }) => [epoch, seq])).toEqual([[1, 0]]);
  });

  it('admits while it loads as it does once loaded: bad values refused at append, buffer limits held', () => {
    const { IdempotentProducer } = freshProducerModule();
    const options = { contentType: 'text/plain', maxBufferedMessages: 2, maxBufferedBytes: 5 };
    const producer = new IdempotentProducer<unknown>(offlineContext(STREAM_URL), 'p', options, recordingSender().send);
    expect(thrown(() => producer.append(5))).toMatchObject({ name: 'InvalidArgumentError' });
    expect(thrown(() => producer.append(''))).toMatchObject({ name: 'InvalidArgumentError' });
    expect(thrown(() => producer.append('toolong'))).toMatchObject({ name: 'ValueTooLargeError' });
    producer.append('ab');
    expect(producer.tryAppend('cdef')).toBe(false);
    producer.append('c');
    expect(thrown(() => producer.append('d'))).toMatchObject({
      name: 'ProducerBufferFullError',
      limit: 'maxBufferedMessages',
      pendingMessages: 2,
    });
    expect([producer.pendingCount, producer.pendingBytes, producer.inFlightCount]).toEqual([2, 3, 0]);
  });

  it('writes what waited while it loads in batches of the usual size, flush() and closeStream() asked meanwhile included', async () => {
    const { sent, send } = recordingSender();
    const { IdempotentProducer } = freshProducerModule();
    const producer = new IdempotentProducer<number>(offlineContext(STREAM_URL), 'p', { maxBatchItems: 2 }, send);
    for (const value of [1, 2, 3, 4, 5]) producer.append(value);
    const flushed = lastValueFrom(producer.flush());
    const closed = lastValueFrom(producer.closeStream(6));
    expect(sent).toEqual([]);
    await flushed;
    expect(await closed).toEqual({ finalOffset: '4' });
    expect(sent.map((request) => [request.seq, bodyText(request), request.close])).toEqual([
      [0, '[1,2]', false],
      [1, '[3,4]', false],
      [2, '[5]', false],
      [3, '[6]', true],
    ]);
    expect(producer.pendingCount).toBe(0);
  });

  it('fails the producer with a typed error naming the stream when it cannot be loaded, and hands every value back', async () => {
    jest.doMock('../../lib/produce/start-producer', () => {
      throw new TypeError('Failed to fetch dynamically imported module');
    });
    const { sent, send } = recordingSender();
    const producer = makeProducer(freshProducerModule(), send);
    const errors: DurableStreamError[] = [];
    producer.errors$.subscribe((error) => errors.push(error));
    producer.append(1);
    producer.append(2);
    await expect(lastValueFrom(producer.flush())).rejects.toMatchObject({
      code: 'PRODUCER_FAILED',
      message: expect.stringContaining(`could not be loaded (${STREAM_URL})`),
      cause: expect.objectContaining({ message: 'Failed to fetch dynamically imported module' }),
    });
    expect(errors.map(({ code }) => code)).toEqual(['PRODUCER_FAILED']);
    expect(producer.unsentValues()).toEqual([1, 2]);
    expect(sent).toEqual([]);
    expect(await lastValueFrom(producer.acks$.pipe(toArray()))).toEqual([]);
  });

  it("asks for the outbox's code beside it, not after it (a page that goes away before the outbox is open loses less)", async () => {
    const asked: string[] = [];
    jest.doMock('../../lib/produce/start-producer', () => {
      asked.push('running code');
      throw new TypeError('Failed to fetch dynamically imported module');
    });
    jest.doMock('../../lib/produce/outbox/durable', () => (asked.push('outbox code'), {}));
    const { IdempotentProducer } = freshProducerModule();
    const producer = new IdempotentProducer<number>(offlineContext(STREAM_URL), 'p', { outbox: memoryOutbox() }, () =>
      of({ nextOffset: '1', duplicate: false }),
    );
    await expect(lastValueFrom(producer.finish())).rejects.toMatchObject({ code: 'PRODUCER_FAILED' });
    expect(asked.sort()).toEqual(['outbox code', 'running code']);
  });
});
