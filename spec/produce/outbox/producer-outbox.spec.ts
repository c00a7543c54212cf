import { defer, first, firstValueFrom, NEVER, ReplaySubject, Subject, switchMap, toArray, type Observable } from 'rxjs';
import { StaleEpochError, type DurableStreamError } from '../../../lib/errors';
import type { StreamContext } from '../../../lib/http/stream-context';
import { IdempotentProducer, type ProducerAck } from '../../../lib/produce/idempotent-producer';
import { discardOutbox } from '../../../lib/produce/outbox/discard-outbox';
import { memoryOutbox } from '../../../lib/produce/outbox/memory-outbox';
import { DeliveryOverdueError, OutboxError, OutboxLockedError } from '../../../lib/produce/outbox/outbox-errors';
import { ProducerClosedError, ValueTooLargeError } from '../../../lib/produce/producer-errors';
import type { ProducerOptions } from '../../../lib/produce/producer-options';
import type { ProducerStatus } from '../../../lib/produce/producer-status';
import type { BatchSender } from '../../../lib/produce/send-batch';
import type { WakeReason } from '../../../lib/retry/connectivity';
import { offlineContext } from '../../support/offline-context';
import { range } from '../../support/range';
import { sleep, until } from '../../support/until';
import { FAST_RETRY, FakeServer, STREAM_URL, type Network } from '../support/fake-server';
import { watchedOutbox, type WatchedOutbox } from './support/watched-outbox';

/** What a spec sees of one producer on an outbox. */
interface Run {
  readonly producer: IdempotentProducer;
  readonly errors: DurableStreamError[];
  readonly acks: ProducerAck[];
}

/** A producer (id `p`, JSON) on `outbox`, sending with `send` (checked against what the outbox holds). */
function start(
  outbox: WatchedOutbox,
  send: BatchSender,
  options: ProducerOptions = {},
  context: StreamContext = offlineContext(STREAM_URL),
): Run {
  const producer = new IdempotentProducer(
    context,
    'p',
    { outbox, retry: FAST_RETRY, lingerMs: 1, ...options },
    outbox.checking(send),
  );
  const errors: DurableStreamError[] = [];
  const acks: ProducerAck[] = [];
  producer.errors$.subscribe((error) => errors.push(error));
  producer.acks$.subscribe((ack) => acks.push(ack));
  return { producer, errors, acks };
}

const keys = (outbox: WatchedOutbox) => outbox.contents.batches.map(({ epoch, seq }) => [epoch, seq]);
const fresh = () => watchedOutbox(memoryOutbox());

describe('IdempotentProducer with an outbox (fake server, real time)', () => {
  it('saves each batch before it sends it, under the (epoch, seq) it sends it with, and leaves the outbox empty', async () => {
    const server = new FakeServer();
    const outbox = fresh();
    const { producer, errors } = start(outbox, server.sender(), { maxBatchItems: 10 });
    for (const value of range(0, 200)) producer.append(value);
    await firstValueFrom(producer.finish());
    expect(server.messages).toEqual(range(0, 200));
    expect(outbox.unsaved).toEqual([]);
    expect(errors).toEqual([]);
    expect(outbox.contents.batches).toEqual([]);
    expect(outbox.contents.position).toEqual({
      url: STREAM_URL,
      producerId: 'p',
      epoch: 0,
      nextSeq: 20,
      contentType: 'application/json',
    });
  });

  it('saved() completes once the values are in the outbox, not before; nothing is sent before', async () => {
    const server = new FakeServer();
    const outbox = fresh();
    outbox.hold();
    const { producer } = start(outbox, server.sender(), { lingerMs: 10_000 });
    producer.append('a');
    producer.append('b');
    let saved = false;
    const done = firstValueFrom(producer.saved()).then(() => (saved = true));
    await sleep(30);
    expect({ saved, sent: server.arrivals.length }).toEqual({ saved: false, sent: 0 });
    outbox.release();
    await done;
    expect(outbox.contents.batches.map(({ count }) => count)).toEqual([2]);
    await firstValueFrom(producer.finish());
    expect(server.messages).toEqual(['a', 'b']);
  });

  it('without an outbox, saved() waits for the acknowledgement, as flush() does', async () => {
    const server = new FakeServer();
    const producer = new IdempotentProducer(offlineContext(STREAM_URL), 'p', { lingerMs: 10_000 }, server.sender());
    producer.append('a');
    await firstValueFrom(producer.saved());
    expect(server.messages).toEqual(['a']);
    expect(producer.pendingCount).toBe(0);
    await firstValueFrom(producer.finish());
  });

  describe('resume: a new producer on the outbox', () => {
    it('sends batches saved but never sent under their original epoch and seq, then its own', async () => {
      const outbox = fresh();
      const sent: number[] = [];
      // Batch 0 goes alone (a new epoch) and is never answered: batches 1 to 4 are saved, never sent.
      const first = start(outbox, (request) => (sent.push(request.seq), NEVER), { maxBatchItems: 2, epoch: 3 });
      for (const value of range(0, 10)) first.producer.append(value);
      await firstValueFrom(first.producer.saved());
      expect({ sent, keys: keys(outbox) }).toEqual({ sent: [0], keys: range(0, 5).map((seq) => [3, seq]) });
      first.producer.abort();
      const server = new FakeServer();
      const second = start(outbox, server.sender(), { maxBatchItems: 2 });
      second.producer.append(10);
      await firstValueFrom(second.producer.finish());
      expect(server.messages).toEqual(range(0, 11));
      expect(server.arrivals.map(({ epoch, seq, outcome }) => [epoch, seq, outcome])).toEqual(
        range(0, 6).map((seq) => [3, seq, 'accepted']),
      );
      expect(outbox.unsaved).toEqual([]);
    });

    it('values appended while the outbox opens, the content type known, go in full batches after the batches it held', async () => {
      const outbox = fresh();
      const first = start(outbox, () => NEVER, { maxBatchItems: 2, epoch: 3 });
      for (const value of range(0, 5)) first.producer.append(value);
      await firstValueFrom(first.producer.saved());
      first.producer.abort();
      const server = new FakeServer();
      // Appended at once, before the outbox is read: written into bodies, three batches sealed and one open meanwhile.
      const second = start(outbox, server.sender(), { maxBatchItems: 2, contentType: 'application/json' });
      for (const value of range(5, 12)) second.producer.append(value);
      expect(second.producer.pendingCount).toBe(7);
      await firstValueFrom(second.producer.finish());
      expect(server.messages).toEqual(range(0, 12));
      expect(server.arrivals.map(({ epoch, seq, outcome }) => [epoch, seq, outcome])).toEqual(
        range(0, 7).map((seq) => [3, seq, 'accepted']),
      );
      expect(outbox.unsaved).toEqual([]);
    });

    it('a batch whose answer was lost is answered as a duplicate: every value is stored once', async () => {
      const outbox = fresh();
      const server = new FakeServer();
      // The server applies every request; after the first (which establishes the epoch), every answer is lost.
      const lossy: Network = { arrival: () => 0, response: () => 0, lose: (request) => request.seq > 0 };
      const first = start(outbox, server.sender(lossy), { maxBatchItems: 5, maxInFlight: 10 });
      for (const value of range(0, 50)) first.producer.append(value);
      await firstValueFrom(first.producer.saved());
      await until(() => server.messages.length === 50, 'the 50 messages on the server', 2_000);
      first.producer.abort();
      expect(first.producer.unsentValues()).toEqual([]); // all saved: the outbox delivers them
      const second = start(outbox, server.sender());
      await firstValueFrom(second.producer.finish());
      expect(server.messages).toEqual(range(0, 50));
      expect(second.acks.some((ack) => ack.duplicate)).toBe(true);
      expect(outbox.contents.batches).toEqual([]);
    });

    it('goes on with the next seq once every batch was acknowledged: a restart at the same epoch is not taken for a repeat', async () => {
      const server = new FakeServer();
      const outbox = fresh();
      const first = start(outbox, server.sender(), { maxBatchItems: 1 });
      for (const value of range(0, 3)) first.producer.append(value);
      await firstValueFrom(first.producer.finish());
      const second = start(outbox, server.sender());
      second.producer.append('after');
      await firstValueFrom(second.producer.finish());
      expect(server.messages).toEqual([0, 1, 2, 'after']);
      expect(second.acks).toEqual([expect.objectContaining({ epoch: 0, seq: 3, duplicate: false })]);
      // Without the outbox, the same restart loses the value: seq 0 of epoch 0 is answered as a repeat.
      const bare = new IdempotentProducer(offlineContext(STREAM_URL), 'p', {}, server.sender());
      bare.append('lost');
      const acks = firstValueFrom(bare.acks$.pipe(toArray()));
      await firstValueFrom(bare.finish());
      expect(await acks).toEqual([expect.objectContaining({ epoch: 0, seq: 0, duplicate: true })]);
      expect(server.messages).not.toContain('lost');
    });

    it('takes a higher epoch option when the outbox holds no batch, from seq 0; keeps the outbox epoch while it holds batches', async () => {
      const server = new FakeServer();
      const outbox = fresh();
      const first = start(outbox, server.sender());
      first.producer.append('a');
      await firstValueFrom(first.producer.finish());
      const second = start(outbox, server.sender(), { epoch: 7 });
      second.producer.append('b');
      await firstValueFrom(second.producer.finish());
      expect(second.acks).toEqual([expect.objectContaining({ epoch: 7, seq: 0 })]);

      const third = start(outbox, () => NEVER, { epoch: 7 });
      third.producer.append('c');
      await firstValueFrom(third.producer.saved());
      third.producer.abort();
      const fourth = start(outbox, server.sender(), { epoch: 9 });
      await firstValueFrom(fourth.producer.finish());
      expect(fourth.acks).toEqual([expect.objectContaining({ epoch: 7, seq: 1 })]);
      expect(server.messages).toEqual(['a', 'b', 'c']);
    });

    it('finishes after closeStream() saved by the last one: the stream is closed once, and appends are refused', async () => {
      const outbox = fresh();
      const first = start(outbox, () => NEVER);
      first.producer.append('a');
      const closing = first.producer.closeStream('last').subscribe({ error: () => undefined });
      await until(() => outbox.contents.batches.some((batch) => batch.close), 'the close in the outbox', 2_000);
      first.producer.abort();
      closing.unsubscribe();
      const server = new FakeServer();
      const second = start(outbox, server.sender());
      await firstValueFrom(second.producer.finish());
      expect({ messages: server.messages, closed: server.closed }).toEqual({ messages: ['a', 'last'], closed: true });
      expect(() => second.producer.append('more')).toThrow(ProducerClosedError);
    });

    describe('saved() and flush() subscribed before the outbox is read wait for its own values, not those it held', () => {
      /** An outbox left with 6 values in 3 batches (seqs 0 to 2), and a next producer on it whose open waits for `open()`. */
      async function onAFilledOutbox(send: BatchSender) {
        const memory = memoryOutbox();
        const first = start(watchedOutbox(memory), () => NEVER, { maxBatchItems: 2 });
        for (const value of range(0, 6)) first.producer.append(value);
        await firstValueFrom(first.producer.saved());
        first.producer.abort();
        let open!: () => void;
        const opening = new Promise<void>((resolve) => (open = resolve));
        const outbox = watchedOutbox({ open: () => opening.then(() => memory.open()) });
        const second = start(outbox, send, { maxBatchItems: 2, contentType: 'application/json' });
        // Its own 3 values, fewer than those the outbox holds: a count that included those would be reached at once.
        for (const value of range(6, 9)) second.producer.append(value);
        return { outbox, producer: second.producer, open };
      }

      it('saved(): completes once its own values are written in the outbox, not when the held batches pass', async () => {
        const server = new FakeServer();
        const { outbox, producer, open } = await onAFilledOutbox(server.sender());
        outbox.hold();
        let ownSavedAtCompletion: number | undefined;
        producer.saved().subscribe({
          complete: () =>
            (ownSavedAtCompletion = outbox.contents.batches
              .filter(({ seq }) => seq >= 3)
              .reduce((sum, { count }) => sum + count, 0)),
        });
        open();
        // The held batches go (saved already); its own wait for their write.
        await until(() => server.messages.length === 6, 'the 6 held values on the server');
        await sleep(30);
        expect(ownSavedAtCompletion).toBeUndefined();
        outbox.release();
        await until(() => ownSavedAtCompletion !== undefined, 'saved() to complete');
        expect(ownSavedAtCompletion).toBe(3);
        await firstValueFrom(producer.finish());
        expect(server.messages).toEqual(range(0, 9));
        expect(outbox.unsaved).toEqual([]);
      });

      it('flush(): completes once its own values are acknowledged, not when the held batches are', async () => {
        const server = new FakeServer();
        const answer = new ReplaySubject<void>(1);
        // The held batches (seqs 0 to 2) are answered at once; its own only once `answer` emitted.
        const send: BatchSender = (request) =>
          request.seq < 3
            ? server.sender()(request)
            : answer.pipe(
                first(),
                switchMap(() => server.sender()(request)),
              );
        const { producer, open } = await onAFilledOutbox(send);
        let flushed = false;
        producer.flush().subscribe({ complete: () => (flushed = true) });
        open();
        await until(() => server.messages.length === 6, 'the 6 held values on the server');
        await sleep(30);
        expect(flushed).toBe(false);
        answer.next();
        await until(() => flushed, 'flush() to complete');
        expect(server.messages).toEqual(range(0, 9));
        await firstValueFrom(producer.finish());
      });
    });
  });

  describe('renumbering is saved before any batch goes under it', () => {
    it('an epoch claimed with autoClaim while batches wait in the outbox: a restart resumes under the new epoch', async () => {
      const server = new FakeServer();
      server.fence(5);
      const outbox = fresh();
      const sent: Array<[number, number]> = [];
      const send: BatchSender = (request) => {
        sent.push([request.epoch, request.seq]);
        // The fence is met; under the claimed epoch nothing is answered.
        return request.epoch < 6 ? server.sender()(request) : NEVER;
      };
      const first = start(outbox, send, { autoClaim: true, maxBatchItems: 2 });
      for (const value of range(0, 6)) first.producer.append(value);
      await until(() => sent.some(([epoch]) => epoch === 6), 'a send under epoch 6', 2_000);
      expect(sent).toEqual([
        [0, 0],
        [6, 0],
      ]);
      expect(keys(outbox)).toEqual(range(0, 3).map((seq) => [6, seq]));
      expect(outbox.changes.some((change) => change.replaceAll)).toBe(true);
      first.producer.abort();
      const second = start(outbox, server.sender());
      await firstValueFrom(second.producer.finish());
      expect(server.messages).toEqual(range(0, 6));
      expect(second.acks.map(({ epoch, seq }) => [epoch, seq])).toEqual(range(0, 3).map((seq) => [6, seq]));
      expect(outbox.unsaved).toEqual([]);
    });

    it('restart() with batches in the outbox renumbers them there first', async () => {
      const server = new FakeServer();
      const outbox = fresh();
      outbox.hold();
      const { producer } = start(outbox, server.sender(), { maxBatchItems: 1 });
      producer.append('a');
      producer.append('b');
      producer.restart();
      outbox.release();
      await firstValueFrom(producer.finish());
      expect(server.arrivals.map(({ epoch, seq }) => [epoch, seq])).toEqual([
        [1, 0],
        [1, 1],
      ]);
      expect(outbox.unsaved).toEqual([]);
    });

    it('restart() waits until the batches resumed from the outbox are acknowledged under their own epoch', async () => {
      const outbox = fresh();
      const first = start(outbox, () => NEVER, { maxBatchItems: 1 });
      first.producer.append('a');
      first.producer.append('b');
      await firstValueFrom(first.producer.saved());
      first.producer.abort();
      const server = new FakeServer();
      const second = start(outbox, server.sender(), { maxBatchItems: 1 });
      second.producer.restart(); // before the outbox is even open
      second.producer.append('c');
      await firstValueFrom(second.producer.finish());
      // 'a' may have landed under (0, 0) before the first producer died: renumbered, it could be written twice.
      // So the restart waits for 'a' and 'b'; 'c', on the wire by then, settles first; then the epoch moves.
      expect(server.arrivals.map(({ epoch, seq }) => [epoch, seq])).toEqual([
        [0, 0],
        [0, 1],
        [0, 2],
      ]);
      expect(second.producer.epoch).toBe(1);
      expect(server.messages).toEqual(['a', 'b', 'c']);
      expect(outbox.unsaved).toEqual([]);
    });

    it('a batch split for a body limit: halves saved before they go; a value refused alone is handed back and leaves the outbox', async () => {
      const server = new FakeServer();
      server.bodyLimit = 120;
      const outbox = fresh();
      const sized = (n: number, bytes: number) => ({ n, pad: 'x'.repeat(bytes) });
      const values = [...range(0, 6).map((n) => sized(n, 20)), sized(6, 500), ...range(7, 10).map((n) => sized(n, 20))];
      const { producer, errors } = start(outbox, server.sender(), { maxBatchItems: 10, lingerMs: 5 });
      for (const value of values) producer.append(value);
      await firstValueFrom(producer.finish());
      expect(server.messages).toEqual(values.filter(({ n }) => n !== 6));
      expect(errors).toEqual([expect.any(ValueTooLargeError)]);
      expect(errors[0]).toMatchObject({ limit: 'server', value: sized(6, 500) });
      expect(outbox.unsaved).toEqual([]);
      expect(outbox.contents.batches).toEqual([]);
    });

    it('a split interrupted after its first half: the next producer on the outbox delivers every value once', async () => {
      const server = new FakeServer();
      server.bodyLimit = 120;
      const outbox = fresh();
      const values = range(0, 8).map((n) => ({ n, pad: 'x'.repeat(20) }));
      const first = start(outbox, server.sender(), { maxBatchItems: 8, lingerMs: 5 });
      let stop: () => void = () => undefined;
      const stopped = new Promise<void>((resolve) => (stop = resolve));
      first.producer.acks$.subscribe(() => {
        first.producer.abort();
        stop();
      });
      for (const value of values) first.producer.append(value);
      await stopped;
      expect(server.messages.length).toBeGreaterThan(0);
      expect(server.messages.length).toBeLessThan(8);
      server.bodyLimit = Infinity;
      const second = start(outbox, server.sender());
      await firstValueFrom(second.producer.finish());
      expect(server.messages).toEqual(values);
      expect(outbox.unsaved).toEqual([]);
      expect(server.arrivals.filter(({ outcome }) => outcome === 'too-large').length).toBeGreaterThan(0);
    });
  });

  describe('what is saved is never given up', () => {
    it('deliveryTimeoutMs only reports (DeliveryOverdueError, once): delivery goes on until the server is back', async () => {
      const server = new FakeServer();
      let down = true;
      const outage: Network = { arrival: () => 0, response: () => 0, drop: () => down };
      const { producer, errors } = start(fresh(), server.sender(outage), { deliveryTimeoutMs: 30 });
      producer.append('a');
      producer.append('b');
      await sleep(150);
      expect(producer.pendingCount).toBe(2);
      expect(errors).toEqual([expect.any(DeliveryOverdueError)]);
      down = false;
      await firstValueFrom(producer.finish());
      expect(server.messages).toEqual(['a', 'b']);
      expect(errors.length).toBe(1);
    });

    it('a fence without autoClaim stops the producer; the outbox keeps its batches, unsentValues() hands back only what was not saved', async () => {
      const server = new FakeServer();
      server.fence(4);
      const outbox = fresh();
      const { producer, errors } = start(outbox, server.sender(), { maxBatchItems: 2, lingerMs: 10_000 });
      producer.append(1);
      producer.append(2);
      await until(() => producer.unsentValues().length > 0 || errors.length > 0, 'unsent values or an error', 2_000);
      expect(errors).toEqual([expect.any(StaleEpochError)]);
      expect(keys(outbox)).toEqual([[0, 0]]);
      expect(producer.unsentValues()).toEqual([]);
      expect(await firstValueFrom(discardOutbox(outbox))).toEqual([1, 2]);
      expect((await outbox.open()).contents).toEqual({
        position: expect.objectContaining({ epoch: 0, nextSeq: 1 }),
        batches: [],
      });
    });

    it('a write the outbox refuses stops the producer (OutboxError write-failed) and hands back what was not saved', async () => {
      const outbox = fresh();
      outbox.failWith(new Error('disk full'));
      const { producer, errors } = start(outbox, () => NEVER, { lingerMs: 10_000 });
      producer.append('a');
      await expect(firstValueFrom(producer.saved())).rejects.toMatchObject({ reason: 'write-failed' });
      expect(errors).toEqual([expect.any(OutboxError)]);
      expect(producer.unsentValues()).toEqual(['a']);
    });
  });

  describe('one producer per outbox', () => {
    it('a second producer on a held outbox stops with OutboxLockedError and leaves it to the first', async () => {
      const server = new FakeServer();
      const outbox = fresh();
      const first = start(outbox, server.sender());
      first.producer.append('a');
      await firstValueFrom(first.producer.saved());
      const second = start(outbox, server.sender());
      second.producer.append('b');
      await expect(firstValueFrom(second.producer.finish())).rejects.toBeInstanceOf(OutboxLockedError);
      await firstValueFrom(first.producer.finish());
      expect(server.messages).toEqual(['a']);
    });

    it('stopped before it could open the outbox, it hands back every value, those sealed meanwhile first', async () => {
      const server = new FakeServer();
      const outbox = fresh();
      const first = start(outbox, server.sender());
      first.producer.append('a');
      await firstValueFrom(first.producer.saved());
      const second = start(outbox, server.sender(), { maxBatchItems: 2, contentType: 'application/json' });
      for (const value of range(0, 5)) second.producer.append(value);
      await expect(firstValueFrom(second.producer.finish())).rejects.toBeInstanceOf(OutboxLockedError);
      expect(second.producer.unsentValues()).toEqual(range(0, 5));
      await firstValueFrom(first.producer.finish());
      expect(server.messages).toEqual(['a']);
    });

    it("refuses an outbox that holds another producer's batches (OutboxError mismatch)", async () => {
      const outbox = fresh();
      const first = start(outbox, () => NEVER);
      first.producer.append('a');
      await firstValueFrom(first.producer.saved());
      first.producer.abort();
      const other = new IdempotentProducer(offlineContext(STREAM_URL), 'q', { outbox }, () => NEVER);
      await expect(firstValueFrom(other.finish())).rejects.toMatchObject({ reason: 'mismatch' });
      expect(keys(outbox)).toEqual([[0, 0]]);
    });
  });

  describe('offline and status', () => {
    it('waits for the network without spending a retry, then delivers', async () => {
      const wakes = new Subject<WakeReason>();
      let offline = true;
      const context: StreamContext = {
        ...offlineContext(STREAM_URL),
        connectivity: { wakes, isOffline: () => offline },
      };
      const server = new FakeServer();
      let calls = 0;
      const send: BatchSender = (request) =>
        defer(() => {
          calls++;
          return server.sender()(request);
        });
      const statuses: ProducerStatus[] = [];
      // No retry at all: a failed attempt would stop the producer.
      const { producer } = start(fresh(), send, { retry: { maxRetries: 0 } }, context);
      producer.status$.subscribe((status) => statuses.push(status));
      producer.append('a');
      await sleep(40);
      expect(calls).toBe(0);
      expect(statuses.at(-1)).toEqual({ state: 'offline', pending: 1, saved: 1 });
      offline = false;
      wakes.next('online');
      await firstValueFrom(producer.finish());
      expect(server.messages).toEqual(['a']);
      expect(statuses.at(-1)).toEqual({ state: 'delivered', pending: 0, saved: 0 });
    });

    it('tells delivered, sending, offline and saved, with the values pending', async () => {
      const server = new FakeServer();
      let down = false;
      const outage: Network = { arrival: () => 0, response: () => 0, drop: () => down };
      const outbox = fresh();
      const { producer } = start(outbox, server.sender(outage));
      const statuses = collect(producer.status$);
      producer.append('a');
      await firstValueFrom(producer.flush());
      down = true;
      producer.append('b');
      await until(() => statuses.at(-1)?.state === 'offline', "the status 'offline'", 2_000);
      producer.abort();
      const states = statuses.map(({ state }) => state);
      expect(states[0]).toBe('delivered');
      expect(states).toContain('sending');
      expect(states.slice(0, states.indexOf('offline'))).toContain('delivered');
      // Stopped with 'b' in the outbox: the next producer on it delivers it.
      expect(statuses.at(-1)).toEqual({ state: 'saved', pending: 1, saved: 1 });
    });

    it('keeps memory bounded as without an outbox: appends past maxBufferedMessages are refused', async () => {
      const { producer } = start(fresh(), () => NEVER, { maxBufferedMessages: 3 });
      expect([1, 2, 3, 4].map((value) => producer.tryAppend(value))).toEqual([true, true, true, false]);
      producer.abort();
    });
  });
});

function collect<T>(source: Observable<T>): T[] {
  const values: T[] = [];
  source.subscribe((value) => values.push(value));
  return values;
}
