/**
 * Mutations a store's outbox held at start-up, when the producer renumbers
 * their batches (an epoch claimed after a 403, a batch split after a 413):
 * each is reported delivered only once its own messages are acknowledged,
 * and those not yet acknowledged when the producer stops are reported failed.
 */
import nock from 'nock';
import { DurableStreamsClient, fetchTransport, type DurableStream, type ProducerOutbox } from '../../lib/index';
import type { ChangeMessage } from '../../lib/state/messages';
import { MutationWriter } from '../../lib/state/mutation-writer';
import { savedMutations } from '../../lib/state/saved-mutations';
import { outboxBatch, outboxHolding } from './support/outbox-holding';

const ORIGIN = 'http://ds.test';
const PATH = '/v1/stream/todos';
const STREAM_URL = `${ORIGIN}${PATH}`;

const change = (txid: string): ChangeMessage => ({
  type: 'todo',
  key: txid,
  value: { id: txid },
  headers: { operation: 'insert', txid },
});
const batch = (seq: number, txids: string[]) => outboxBatch(seq, txids.map(change));

/** Answers the next POST with `status`; records its (epoch, seq, txids). */
function post(status: number, headers: Record<string, string>, sent: string[]) {
  nock(ORIGIN)
    .post(PATH)
    .reply(function (_uri, body) {
      const txids = (body as { headers: { txid: string } }[]).map(({ headers }) => headers.txid).join('+');
      const { 'producer-epoch': epoch, 'producer-seq': seq } = this.req.headers;
      sent.push(`${epoch}/${seq}:${txids}`);
      return [status, status === 200 ? '' : 'error', headers];
    });
}
const ok = (epoch: number, seq: number) => ({
  'stream-next-offset': `0_${epoch}${seq}`,
  'producer-epoch': String(epoch),
  'producer-seq': String(seq),
});

describe('MutationWriter: mutations restored from the outbox, renumbered by the producer', () => {
  let stream: DurableStream;
  let writer: MutationWriter | undefined;
  beforeAll(() => nock.disableNetConnect());
  afterAll(() => nock.enableNetConnect());
  beforeEach(() => {
    const client = new DurableStreamsClient({
      baseUrl: `${ORIGIN}/v1/stream`,
      transport: fetchTransport(),
      retry: { initialDelayMs: 1, maxDelayMs: 2 },
    });
    stream = client.stream('todos', { contentType: 'application/json' });
  });
  afterEach(() => {
    writer?.close();
    nock.cleanAll();
  });

  /** Starts a writer on `outbox` (as a reloaded store does); the reports, once `count` came and `requests` were `sent`. */
  async function reports(
    outbox: ProducerOutbox,
    count: number,
    sent: readonly string[],
    requests: number,
    written: string[] = [],
  ) {
    const told: string[] = [];
    let done: () => void = () => undefined;
    const all = new Promise<void>((resolve) => (done = resolve));
    const check = () => {
      if (told.length >= count && sent.length >= requests) done();
      else setTimeout(check, 5);
    };
    writer = new MutationWriter(stream, { outbox, autoClaim: true, maxInFlight: 1, lingerMs: 0 }, (txid, error) =>
      told.push(error === undefined ? `${txid} delivered` : `${txid} failed`),
    );
    writer.resumeAfter(savedMutations(outbox, STREAM_URL));
    // Written after the restored ones (held until the outbox is read): they go after them.
    for (const txid of written) writer.write(txid, [change(txid)]);
    check();
    await all;
    return told;
  }

  it('after an epoch claim (403 stale epoch), confirms each once its own batch is acknowledged; a failure reports the rest', async () => {
    const sent: string[] = [];
    post(403, { 'producer-epoch': '5' }, sent);
    post(200, ok(6, 0), sent);
    post(400, {}, sent);
    const outbox = await outboxHolding(STREAM_URL, [batch(0, ['t1']), batch(1, ['t2']), batch(2, ['t3'])]);

    const told = await reports(outbox, 4, sent, 3, ['n1']);
    // (6, 0) is past every old key (0, n), but only t1's batch was acknowledged.
    expect(told[0]).toBe('t1 delivered');
    expect(told.slice(1).sort()).toEqual(['n1 failed', 't2 failed', 't3 failed']);
    expect(sent).toEqual(['0/0:t1', '6/0:t1', '6/1:t2']);
  });

  it('after a split (413), confirms none early; a failure reports the rest', async () => {
    const sent: string[] = [];
    post(413, {}, sent);
    post(200, ok(0, 0), sent);
    post(200, ok(0, 1), sent);
    post(400, {}, sent);
    const outbox = await outboxHolding(STREAM_URL, [batch(0, ['t1', 't2']), batch(1, ['t3'])]);

    const told = await reports(outbox, 3, sent, 4);
    // The halves take seqs 0 and 1: (0, 0) is t2's old key, (0, 1) t3's, acknowledged before t3's batch went (as seq 2).
    expect(told).toEqual(['t1 delivered', 't2 delivered', 't3 failed']);
    expect(sent).toEqual(['0/0:t1+t2', '0/0:t1', '0/1:t2', '0/2:t3']);
  });
});
