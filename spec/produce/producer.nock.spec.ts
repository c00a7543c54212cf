import nock from 'nock';
import { firstValueFrom, lastValueFrom, toArray } from 'rxjs';
import {
  BadRequestError,
  DurableStreamsClient,
  ProtocolError,
  fetchTransport,
  SequenceGapError,
  StaleEpochError,
  StreamClosedError,
  type DurableStream,
  idempotentProducer,
} from '../../lib/index';
import { ProducerClosedError } from '../../lib/produce/producer-errors';
import type { IdempotentProducer, ProducerAck } from '../../lib/produce/idempotent-producer';
import type { ProducerOptions } from '../../lib/produce/producer-options';

const ORIGIN = 'http://ds.test';
const PATH = '/v1/stream/s';

/** One POST as it went over the wire. */
interface Sent {
  readonly headers: Record<string, string>;
  readonly body: string;
  readonly query: string;
  readonly at: number;
}

const failure = (promise: Promise<unknown>) =>
  promise.then(
    () => {
      throw new Error('expected a failure');
    },
    (error: unknown) => error,
  );

describe('IdempotentProducer over HTTP (nock, fetch transport)', () => {
  let stream: DurableStream;
  let sent: Sent[];
  let producers: IdempotentProducer[];

  /** Answers the next POST matching `seq` (any when undefined) with `status` and `headers`, after `delayMs`. */
  const post = (
    status: number,
    headers: Record<string, string> = {},
    match: { seq?: number; delayMs?: number } = {},
  ) => {
    const scope = nock(ORIGIN).post((uri) => uri.startsWith(PATH));
    const matched = match.seq === undefined ? scope : scope.matchHeader('producer-seq', String(match.seq));
    return (match.delayMs ? matched.delay(match.delayMs) : matched).reply(function (uri, body) {
      const recorded: Record<string, string> = {};
      for (const [name, value] of Object.entries(this.req.headers)) recorded[name.toLowerCase()] = value;
      sent.push({
        headers: recorded,
        body: typeof body === 'string' ? body : JSON.stringify(body),
        query: uri.slice(PATH.length),
        at: Date.now(),
      });
      return [status, status === 204 || status === 200 ? '' : 'error', headers];
    });
  };
  const producer = <T = unknown>(options: ProducerOptions = {}) => {
    const made = idempotentProducer<T>(stream, 'order-service-1', { lingerMs: 0, ...options });
    producers.push(made);
    return made;
  };
  const ok = (offset: string, epoch = 0, seq = 0) => ({
    'stream-next-offset': offset,
    'producer-epoch': String(epoch),
    'producer-seq': String(seq),
  });

  beforeAll(() => nock.disableNetConnect());
  afterAll(() => nock.enableNetConnect());
  beforeEach(() => {
    sent = [];
    producers = [];
    const client = new DurableStreamsClient({
      baseUrl: `${ORIGIN}/v1/stream`,
      transport: fetchTransport(),
      retry: { initialDelayMs: 1, maxDelayMs: 2 },
    });
    stream = client.stream('s', { contentType: 'application/json' });
  });
  afterEach(() => {
    producers.forEach((p) => p.abort());
    const pending = nock.pendingMocks();
    nock.cleanAll();
    expect(pending).toEqual([]);
  });

  it('200: sends the batch as one JSON array with the producer headers, and acknowledges it', async () => {
    post(200, ok('0_42'));
    const p = producer({ epoch: 3 });
    const acks = lastValueFrom(p.acks$.pipe(toArray()));
    p.append({ a: 1 });
    p.append([1, 2]);
    await firstValueFrom(p.finish());
    expect(sent).toHaveLength(1);
    expect(sent[0].headers).toMatchObject({
      'producer-id': 'order-service-1',
      'producer-epoch': '3',
      'producer-seq': '0',
      'content-type': 'application/json',
    });
    expect(sent[0].headers['stream-closed']).toBeUndefined();
    expect(JSON.parse(sent[0].body)).toEqual([{ a: 1 }, [1, 2]]);
    expect(await acks).toEqual([{ epoch: 3, seq: 0, count: 2, nextOffset: '0_42', duplicate: false }]);
  });

  it('204: a duplicate is a success', async () => {
    post(204, { 'producer-epoch': '0', 'producer-seq': '4' });
    const p = producer();
    const acks = lastValueFrom(p.acks$.pipe(toArray()));
    p.append('x');
    await firstValueFrom(p.flush());
    p.abort();
    expect(await acks).toEqual([{ epoch: 0, seq: 0, count: 1, nextOffset: undefined, duplicate: true }]);
  });

  it('403 without autoClaim: StaleEpochError on errors$ and flush(), then appends are refused', async () => {
    post(403, { 'producer-epoch': '7' });
    const onError = jest.fn();
    const p = producer({ onError });
    const errors = lastValueFrom(p.errors$.pipe(toArray()));
    p.append('x');
    const error = await failure(firstValueFrom(p.flush()));
    expect(error).toBeInstanceOf(StaleEpochError);
    expect(error).toMatchObject({ currentEpoch: 7, status: 403, url: `${ORIGIN}${PATH}` });
    expect((error as Error).message).toMatch(/epoch 0 is stale; the server is at epoch 7/);
    expect(await errors).toEqual([error]);
    expect(onError).toHaveBeenCalledWith(error);
    expect(() => p.append('y')).toThrow(ProducerClosedError);
    expect(sent).toHaveLength(1);
  });

  it('403 with autoClaim: resends from seq 0 under the server epoch + 1', async () => {
    post(403, { 'producer-epoch': '7' });
    post(200, ok('0_1', 8, 0));
    post(200, ok('0_2', 8, 1));
    const p = producer({ autoClaim: true });
    p.append('x');
    await firstValueFrom(p.flush());
    p.append('y');
    await firstValueFrom(p.flush());
    expect(sent.map((s) => [s.headers['producer-epoch'], s.headers['producer-seq'], s.body])).toEqual([
      ['0', '0', '["x"]'],
      ['8', '0', '["x"]'],
      ['8', '1', '["y"]'],
    ]);
    expect(p.epoch).toBe(8);
  });

  it('409 sequence gap while an earlier batch is in flight: waits for it, then sends again', async () => {
    post(200, ok('0_1', 0, 0), { seq: 0 });
    post(200, ok('0_2', 0, 1), { seq: 1, delayMs: 150 });
    post(409, { 'producer-expected-seq': '1', 'producer-received-seq': '2' }, { seq: 2 });
    post(200, ok('0_3', 0, 2), { seq: 2 });
    const p = producer({ maxBatchItems: 1 });
    p.append('a');
    await firstValueFrom(p.flush());
    p.append('b');
    p.append('c');
    await firstValueFrom(p.flush());
    expect(sent.map((s) => s.headers['producer-seq'])).toEqual(['0', '1', '2', '2']);
    // Seq 2 met the gap at once, and went again only after seq 1's answer (150 ms late).
    expect(sent[2].at - sent[1].at).toBeLessThan(100);
    expect(sent[3].at - sent[1].at).toBeGreaterThanOrEqual(140);
    expect(sent[3].body).toBe(sent[2].body);
  });

  it('409 sequence gap with nothing in flight: the server lost the state, the producer stops', async () => {
    post(200, ok('0_1'), { seq: 0 });
    post(409, { 'producer-expected-seq': '0', 'producer-received-seq': '1' }, { seq: 1 });
    const p = producer();
    p.append('a');
    await firstValueFrom(p.flush());
    p.append('b');
    const error = await failure(firstValueFrom(p.flush()));
    expect(error).toBeInstanceOf(SequenceGapError);
    expect(error).toMatchObject({ expectedSeq: 0, receivedSeq: 1 });
    expect(sent).toHaveLength(2);
  });

  it.each([500, 503])(
    '%d: retries with the same (epoch, seq) and body, so the server can deduplicate',
    async (status) => {
      post(status);
      post(200, ok('0_1'));
      const p = producer({ epoch: 2 });
      p.append({ n: 1 });
      await firstValueFrom(p.flush());
      expect(sent).toHaveLength(2);
      const [first, second] = sent;
      expect(second.headers['producer-epoch']).toBe('2');
      expect(second.headers['producer-seq']).toBe(first.headers['producer-seq']);
      expect(second.body).toBe(first.body);
    },
  );

  it.each([
    ['200 without any protocol header (an app answering every path)', 200, { 'content-type': 'text/html' }],
    ['204 with Producer-Epoch but no Producer-Seq', 204, { 'producer-epoch': '0' }],
  ])(
    '%s: acknowledges nothing; the producer stops with ProtocolError and hands the values back',
    async (_name, status, headers) => {
      post(status, headers);
      const p = producer();
      const acks = lastValueFrom(p.acks$.pipe(toArray()));
      p.append({ a: 1 });
      p.append('b');
      const error = await failure(firstValueFrom(p.flush()));
      expect(error).toBeInstanceOf(ProtocolError);
      expect((error as Error).message).toMatch(/not a Durable Streams answer: it has no Stream-Next-Offset/);
      expect(await acks).toEqual([]);
      expect(p.unsentValues()).toEqual([{ a: 1 }, 'b']);
      expect(sent).toHaveLength(1);
    },
  );

  it('400: not retried; the producer stops with BadRequestError', async () => {
    post(400);
    const p = producer();
    p.append('x');
    expect(await failure(firstValueFrom(p.flush()))).toBeInstanceOf(BadRequestError);
    expect(sent).toHaveLength(1);
  });

  it('409 with Stream-Closed: the stream is closed, the producer stops with StreamClosedError', async () => {
    post(409, { 'stream-closed': 'true', 'stream-next-offset': '0_9' });
    const p = producer();
    p.append('x');
    const error = await failure(firstValueFrom(p.flush()));
    expect(error).toBeInstanceOf(StreamClosedError);
    expect(error).toMatchObject({ finalOffset: '0_9' });
    expect(sent).toHaveLength(1);
  });

  it('closeStream(value): the last request carries the value, the producer headers and Stream-Closed', async () => {
    post(200, ok('0_1', 0, 0));
    post(200, { ...ok('0_2', 0, 1), 'stream-closed': 'true' });
    const p = producer();
    p.append('a');
    const result = await firstValueFrom(p.closeStream({ done: true }));
    expect(result).toEqual({ finalOffset: '0_2' });
    expect(sent[1].headers).toMatchObject({
      'producer-seq': '1',
      'stream-closed': 'true',
      'content-type': 'application/json',
    });
    expect(JSON.parse(sent[1].body)).toEqual([{ done: true }]);
  });

  it('closeStream(): a retry after a lost response is answered 204 and still yields the final offset', async () => {
    post(503);
    post(204, { 'stream-next-offset': '0_5', 'stream-closed': 'true', 'producer-epoch': '0', 'producer-seq': '0' });
    const p = producer();
    expect(await firstValueFrom(p.closeStream())).toEqual({ finalOffset: '0_5' });
    expect(sent.map((s) => [s.headers['producer-seq'], s.headers['stream-closed'], s.body])).toEqual([
      ['0', 'true', ''],
      ['0', 'true', ''],
    ]);
    expect(sent[0].headers['content-type']).toBeUndefined();
  });

  it('learns the content type with one HEAD when the handle does not know it', async () => {
    nock(ORIGIN).head(PATH).reply(200, '', { 'content-type': 'text/plain', 'stream-next-offset': '0_0' });
    post(200, ok('0_3'));
    const client = new DurableStreamsClient({ baseUrl: `${ORIGIN}/v1/stream`, transport: fetchTransport() });
    const p = idempotentProducer<string>(client.stream('s'), 'p', { lingerMs: 0 });
    producers.push(p);
    p.append('ab');
    p.append('c');
    await firstValueFrom(p.flush());
    expect(sent[0].headers['content-type']).toBe('text/plain');
    expect(sent[0].body).toBe('abc');
  });

  it('sends client and producer headers and params, evaluated per request', async () => {
    post(200, ok('0_1'));
    let token = 0;
    const client = new DurableStreamsClient({
      baseUrl: `${ORIGIN}/v1/stream`,
      transport: fetchTransport(),
      headers: { authorization: () => `Bearer ${++token}` },
    });
    const p = idempotentProducer(client.stream('s', { contentType: 'application/json' }), 'p', {
      lingerMs: 0,
      headers: { 'x-trace': 't1' },
      params: { tenant: 'acme' },
    });
    producers.push(p);
    p.append(1);
    await firstValueFrom(p.flush());
    expect(sent[0].headers).toMatchObject({ authorization: 'Bearer 1', 'x-trace': 't1', 'producer-id': 'p' });
    expect(sent[0].query).toBe('?tenant=acme');
  });

  it("reports every ack on acks$ in the producer's order of seqs for a sequential run", async () => {
    post(200, ok('0_1', 0, 0));
    post(200, ok('0_2', 0, 1));
    const p = producer({ maxBatchItems: 1, maxInFlight: 1 });
    const acks: ProducerAck[] = [];
    p.acks$.subscribe((ack) => acks.push(ack));
    p.append('a');
    p.append('b');
    await firstValueFrom(p.flush());
    expect(acks.map((a) => [a.seq, a.nextOffset])).toEqual([
      [0, '0_1'],
      [1, '0_2'],
    ]);
  });
});
