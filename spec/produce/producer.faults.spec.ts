import { firstValueFrom } from 'rxjs';
import { DurableStreamsClient, idempotentProducer } from '../../lib/index';
import { serverUrl, streamBase, transports, uniquePath } from '../support/real-server';
import { random } from './support/fake-server';
import { startFaultyProxy, type FaultyProxy } from './support/faulty-proxy';
import { createStream, readJsonMessages } from './support/read-back';

const COUNT = 100_000;
/** 4-20 s alone; a loaded machine (a CI runner, every spec file at once) takes several times that. */
const TIMEOUT_MS = 120_000;

describe.each(transports)('IdempotentProducer through a faulty network (%s)', (_name, makeTransport) => {
  let proxy: FaultyProxy;
  beforeEach(async () => {
    const rand = random(_name.length);
    proxy = await startFaultyProxy(serverUrl(), () => {
      const roll = rand();
      return roll < 0.05 ? 'drop' : roll < 0.1 ? 'kill' : 'pass';
    });
  });
  afterEach(() => proxy.close());

  it(
    `delivers ${COUNT} messages exactly once and in order while requests are dropped and responses lost`,
    async () => {
      const path = uniquePath('faults');
      await createStream(`${streamBase()}/${path}`);
      const transport = makeTransport();
      const client = new DurableStreamsClient({
        baseUrl: `${proxy.origin}/v1/stream`,
        transport,
        retry: { initialDelayMs: 1, maxDelayMs: 20, maxRetries: 10 },
      });
      const producer = idempotentProducer<{ n: number }>(client.stream(path), 'faulty', { maxBatchItems: 200 });
      let duplicates = 0;
      producer.acks$.subscribe((ack) => (duplicates += ack.duplicate ? 1 : 0));
      const errors: unknown[] = [];
      producer.errors$.subscribe((error) => errors.push(error));

      for (let n = 0; n < COUNT; n++) producer.append({ n });
      await firstValueFrom(producer.finish());
      await transport.close?.();

      expect(errors).toEqual([]);
      // The faults did happen, on both sides of the server.
      expect(proxy.counts.dropped).toBeGreaterThan(5);
      expect(proxy.counts.killed).toBeGreaterThan(5);
      expect(duplicates).toBeGreaterThan(0);

      const messages = (await readJsonMessages(`${streamBase()}/${path}`)) as Array<{ n: number }>;
      expect(messages.length).toBe(COUNT);
      const outOfPlace = messages.findIndex((message, index) => message.n !== index);
      expect(outOfPlace).toBe(-1);
    },
    TIMEOUT_MS,
  );
});
