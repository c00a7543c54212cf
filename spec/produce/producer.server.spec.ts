import { firstValueFrom, interval, lastValueFrom, map, take, toArray } from 'rxjs';
import {
  StaleEpochError,
  StreamClosedError,
  type DurableStreamsClient,
  type HttpTransport,
  idempotentProducer,
} from '../../lib/index';
import { ProducerClosedError } from '../../lib/produce/producer-errors';
import { realClient, streamBase, transports, uniquePath } from '../support/real-server';
import { createStream, isClosed, readJsonMessages, readText } from './support/read-back';
import { range } from '../support/range';
import { sleep } from '../support/until';

describe.each(transports)('IdempotentProducer on the reference server (%s)', (_name, makeTransport) => {
  let transport: HttpTransport & { close?: () => Promise<void> };
  let client: DurableStreamsClient;
  beforeAll(() => {
    transport = makeTransport();
    client = realClient(transport);
  });
  afterAll(() => transport.close?.());

  /** A fresh JSON (or other) stream: its path and absolute URL. */
  const fresh = async (contentType = 'application/json') => {
    const path = uniquePath('producer');
    const url = `${streamBase()}/${path}`;
    await createStream(url, contentType);
    return { path, url };
  };

  it('append + flush: 5 000 values arrive exactly once and in order, arrays as one message each', async () => {
    const { path, url } = await fresh();
    const producer = idempotentProducer(client.stream(path), 'p', { maxBatchItems: 100 });
    for (let i = 0; i < 5_000; i++) producer.append(i % 1000 === 0 ? [i, i] : { i });
    await firstValueFrom(producer.flush());
    expect(producer.pendingCount).toBe(0);
    expect(producer.nextSeq).toBe(50);
    const messages = await readJsonMessages(url);
    expect(messages).toEqual(range(0, 5_000).map((i) => (i % 1000 === 0 ? [i, i] : { i })));
    producer.abort();
  });

  it('finish(): delivers everything and stops the producer; the stream stays open', async () => {
    const { path, url } = await fresh();
    const producer = idempotentProducer(client.stream(path), 'p');
    producer.append('a');
    producer.append('b');
    await firstValueFrom(producer.finish());
    expect(await readJsonMessages(url)).toEqual(['a', 'b']);
    expect(await isClosed(url)).toBe(false);
    expect(() => producer.append('c')).toThrow(ProducerClosedError);
  });

  it('closeStream(value): appends the last value and closes the stream atomically; later writers see StreamClosedError', async () => {
    const { path, url } = await fresh();
    const producer = idempotentProducer(client.stream(path), 'p');
    producer.append({ step: 1 });
    const result = await firstValueFrom(producer.closeStream({ step: 'done' }));
    expect(result.finalOffset).not.toBe('');
    expect(await readJsonMessages(url)).toEqual([{ step: 1 }, { step: 'done' }]);
    expect(await isClosed(url)).toBe(true);

    const late = idempotentProducer(client.stream(path), 'other');
    late.append('x');
    const error = await firstValueFrom(late.flush()).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(StreamClosedError);
  });

  it('closeStream() without a value closes the stream with a close-only request', async () => {
    const { path, url } = await fresh();
    const producer = idempotentProducer(client.stream(path), 'p');
    producer.append(1);
    await firstValueFrom(producer.closeStream());
    expect(await readJsonMessages(url)).toEqual([1]);
    expect(await isClosed(url)).toBe(true);
  });

  it('restart(): the next epoch from seq 0, and the old epoch is fenced', async () => {
    const { path, url } = await fresh();
    const producer = idempotentProducer(client.stream(path), 'p', { epoch: 1 });
    producer.append('a');
    await firstValueFrom(producer.flush());
    producer.restart();
    producer.append('b');
    await firstValueFrom(producer.flush());
    expect([producer.epoch, producer.nextSeq]).toEqual([2, 1]);

    const zombie = idempotentProducer(client.stream(path), 'p', { epoch: 1 });
    zombie.append('zombie');
    const error = await firstValueFrom(zombie.flush()).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(StaleEpochError);
    expect(error).toMatchObject({ currentEpoch: 2 });
    expect(await readJsonMessages(url)).toEqual(['a', 'b']);
    producer.abort();
  });

  it('autoClaim: a fresh instance claims the id after a predecessor, without duplicates or gaps', async () => {
    const { path, url } = await fresh();
    const first = idempotentProducer(client.stream(path), 'svc', { epoch: 4 });
    range(0, 3).forEach((i) => first.append(i));
    await firstValueFrom(first.finish());

    const second = idempotentProducer(client.stream(path), 'svc', { autoClaim: true, maxBatchItems: 2 });
    range(3, 10).forEach((i) => second.append(i));
    await firstValueFrom(second.finish());
    expect(second.epoch).toBe(5);
    expect(await readJsonMessages(url)).toEqual(range(0, 10));
  });

  it('abort(): stops without sending what is pending', async () => {
    const { path, url } = await fresh();
    // lingerMs 0: without abort() the batch would be on its way within a millisecond.
    const producer = idempotentProducer(client.stream(path), 'p', { lingerMs: 0 });
    producer.append('pending');
    producer.abort();
    expect(() => producer.append('x')).toThrow(ProducerClosedError);
    await sleep(50);
    expect(await readJsonMessages(url)).toEqual([]);
  });

  it('subscribe(producer): every value of the source, then closed with it', async () => {
    const { path, url } = await fresh();
    const producer = idempotentProducer<{ tick: number }>(client.stream(path), 'ticker');
    const acks = lastValueFrom(producer.acks$.pipe(toArray()));
    interval(1)
      .pipe(
        take(20),
        map((tick) => ({ tick })),
      )
      .subscribe(producer);
    const sum = (await acks).reduce((total, ack) => total + ack.count, 0);
    expect(sum).toBe(20);
    expect(await readJsonMessages(url)).toEqual(range(0, 20).map((tick) => ({ tick })));
  });

  it('writes strings and bytes to a text stream, concatenated', async () => {
    const { path, url } = await fresh('text/plain');
    const producer = idempotentProducer<string | Uint8Array>(client.stream(path), 'p');
    producer.append('héllo ');
    producer.append(new TextEncoder().encode('wörld'));
    producer.append('!');
    await firstValueFrom(producer.finish());
    expect(await readText(url)).toBe('héllo wörld!');
  });

  it('two producers with their own ids interleave on one stream, each in its own order', async () => {
    const { path, url } = await fresh();
    const a = idempotentProducer(client.stream(path), 'a', { maxBatchItems: 7 });
    const b = idempotentProducer(client.stream(path), 'b', { maxBatchItems: 5 });
    for (let i = 0; i < 200; i++) {
      a.append({ from: 'a', i });
      b.append({ from: 'b', i });
    }
    await Promise.all([firstValueFrom(a.finish()), firstValueFrom(b.finish())]);
    const messages = (await readJsonMessages(url)) as Array<{ from: string; i: number }>;
    expect(messages.filter((m) => m.from === 'a').map((m) => m.i)).toEqual(range(0, 200));
    expect(messages.filter((m) => m.from === 'b').map((m) => m.i)).toEqual(range(0, 200));
  });
});
