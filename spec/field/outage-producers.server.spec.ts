import { firstValueFrom } from 'rxjs';
import {
  DurableStreamsClient,
  fetchTransport,
  type DurableStreamError,
  type HttpTransport,
  type IdempotentProducer,
  type ProducerOptions,
  idempotentProducer,
} from '../../lib/index';
import { undiciTransport } from '../../lib/undici';
import { createStream, readJsonMessages, readText } from '../produce/support/read-back';
import { startCuttableProxy, type CuttableProxy } from '../support/cuttable-proxy';
import { startRestartableServer, type RestartableServer } from '../support/restartable-server';
import { range } from '../support/range';
import { sleep } from '../support/until';

/** One producer of the outage: its stream, and what it reported. */
interface Writer {
  readonly name: string;
  readonly path: string;
  readonly text: boolean;
  readonly producer: IdempotentProducer;
  readonly errors: DurableStreamError[];
  /** Appends refused for room, waited out with flush(). */
  waits: number;
  /** Batches acknowledged as duplicates: they had landed, their answer lost in the cut. */
  duplicates: number;
  /** Values appended and not acknowledged when the connections were cut. */
  pendingAtCut: number;
}

/**
 * Producers outlast a server outage (issue #14): while several producers
 * are appending, the server goes away (every connection reset: batches on
 * the wire fail, some applied and never answered), the reference server,
 * file-backed, is killed with SIGKILL, stays down, and is restarted on the
 * same port and data. Every producer must end with every value stored
 * exactly once, in order, and no error: transient failures are retried
 * until `deliveryTimeoutMs` (120 s), the buffer bound holds (one producer
 * waits for room through the outage), and a batch that landed but whose
 * answer was lost is answered as a duplicate when retried.
 *
 * The connections are cut first (through a loopback proxy) and the kill
 * comes half a second later, between appends: the reference server does not
 * commit a batch and its producer state atomically (it fsyncs the batch,
 * then records the producer's seq; after a crash it takes the batch but not
 * the seq back, durable-streams/durable-streams#143, against PROTOCOL.md
 * 5.2.1's MUST), so a kill inside an append can make it store the retry of
 * that batch a second time, whatever the client does.
 *
 * One outage window is shared by every producer of a spec: both transports,
 * default and small batches, many in flight, a JSON stream and a text one.
 */
describe('producers outlast a server outage (real server, SIGKILL and restart)', () => {
  let server: RestartableServer;
  let proxy: CuttableProxy;
  const transports: Array<HttpTransport & { close?: () => Promise<void> }> = [];

  beforeAll(async () => {
    server = await startRestartableServer();
    proxy = await startCuttableProxy(server.url);
  });
  afterAll(async () => {
    await Promise.all(transports.map(async (t) => t.close?.()));
    await proxy.close();
    await server.close();
  });

  /** The server goes away: connections reset, then the process killed; `downMs` later it is back, same port and data. */
  async function outage(downMs: number): Promise<void> {
    await proxy.cut();
    // What the server received before the cut is committed before the kill (see above).
    await sleep(500);
    await server.kill();
    await sleep(downMs);
    await server.restart();
    await proxy.restore();
  }

  function client(transport: HttpTransport & { close?: () => Promise<void> }): DurableStreamsClient {
    transports.push(transport);
    // A short backoff cap, so the spec does not wait out a 10 s backoff after the restart.
    return new DurableStreamsClient({
      baseUrl: `${proxy.origin}/v1/stream`,
      transport,
      retry: { initialDelayMs: 50, maxDelayMs: 1_000 },
    });
  }

  async function writers(window: string): Promise<Writer[]> {
    const undici = client(undiciTransport());
    const fetch = client(fetchTransport());
    const made: Array<[string, DurableStreamsClient, ProducerOptions, boolean]> = [
      ['undici, defaults', undici, {}, false],
      ['fetch, defaults', fetch, {}, false],
      ['undici, 10-value batches, 16 in flight', undici, { maxBatchItems: 10, maxInFlight: 16 }, false],
      ['undici, a 300-value buffer', undici, { maxBufferedMessages: 300, maxBatchItems: 50 }, false],
      ['fetch, a text stream', fetch, { maxBatchItems: 20 }, true],
    ];
    return Promise.all(
      made.map(async ([name, c, options, text], index) => {
        const path = `outage-produce-${window}-${index}-${Date.now().toString(36)}`;
        await createStream(`${server.streamBase}/${path}`, text ? 'text/plain' : 'application/json');
        const producer = idempotentProducer(
          c.stream(path, { contentType: text ? 'text/plain' : 'application/json' }),
          `p${index}`,
          options,
        );
        const writer: Writer = { name, path, text, producer, errors: [], waits: 0, duplicates: 0, pendingAtCut: 0 };
        producer.errors$.subscribe((error) => writer.errors.push(error));
        producer.acks$.subscribe((ack) => (writer.duplicates += ack.duplicate ? 1 : 0));
        return writer;
      }),
    );
  }

  const value = (writer: Writer, n: number): unknown =>
    writer.text ? `${n};` : { n, pad: 'lorem ipsum dolor sit amet' };

  /** Appends `from`..`to` (exclusive) in slices, as a live source would; waits for room when the buffer is full. */
  async function feed(writer: Writer, from: number, to: number): Promise<void> {
    for (let n = from; n < to; n++) {
      while (!writer.producer.tryAppend(value(writer, n))) {
        writer.waits++;
        await firstValueFrom(writer.producer.flush());
      }
      if (n % 25 === 24) await sleep(2);
    }
  }

  async function survive(downMs: number): Promise<void> {
    const all = await writers(`${downMs}`);
    const total = 2_000;
    // Running before the crash: some values acknowledged.
    await Promise.all(all.map((w) => feed(w, 0, 500)));
    await Promise.all(all.map((w) => firstValueFrom(w.producer.flush())));
    // The crash mid-produce: appends go on, batches are on the wire, some applied and not answered.
    const feeding = Promise.all(all.map((w) => feed(w, 500, total)));
    await sleep(30);
    for (const writer of all) writer.pendingAtCut = writer.producer.pendingCount;
    await outage(downMs);
    await feeding;
    await Promise.all(all.map((w) => firstValueFrom(w.producer.finish())));

    for (const writer of all) {
      const url = `${server.streamBase}/${writer.path}`;
      const stored = writer.text
        ? (await readText(url)).split(';').filter(Boolean).map(Number)
        : ((await readJsonMessages(url)) as Array<{ n: number }>).map((m) => m.n);
      expect({ writer: writer.name, errors: writer.errors, stored }).toEqual({
        writer: writer.name,
        errors: [],
        stored: range(0, total),
      });
    }
    // The cut came mid-produce, and the small buffer filled during the outage and was waited out.
    expect(all.filter((w) => w.pendingAtCut === 0).map((w) => w.name)).toEqual([]);
    expect(all.find((w) => w.name.includes('300-value buffer'))!.waits).toBeGreaterThan(0);
    // Some batches had landed and lost their answer: their retries were answered as duplicates, stored once.
    expect(all.reduce((sum, w) => sum + w.duplicates, 0)).toBeGreaterThan(0);
  }

  it('a 10 s outage mid-produce: five producers, every value once, in order, no error', () => survive(10_000), 90_000);

  it('a 60 s outage mid-produce: five producers, every value once, in order, no error', () => survive(60_000), 150_000);
});
