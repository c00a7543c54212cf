/**
 * The contract of a `ProducerOutbox`, as specs any implementation runs:
 *
 *   describeProducerOutbox('memoryOutbox()', () => ({ outbox: memoryOutbox() }));
 *
 * `make` gives a fresh, empty outbox (and, optionally, `reopen`: another
 * instance on the same storage, as a new process or page would make it, and
 * `dispose`: cleanup). What it checks is what the producer relies on for
 * exactly once across restarts: what one session wrote, the next reads, in
 * (epoch, seq) order, bodies byte for byte; changes apply in their order;
 * one session at a time (`OutboxLockedError`), released by `close()`.
 * Atomicity and durability under a crash are the implementation's own
 * specs (a file outbox's torn writes, a killed process).
 */
import { OutboxLockedError } from '../../lib/produce/outbox/outbox-errors';
import type {
  OutboxBatch,
  OutboxPosition,
  OutboxSession,
  ProducerOutbox,
} from '../../lib/produce/outbox/producer-outbox';

export interface OutboxUnderTest {
  readonly outbox: ProducerOutbox;
  /** Another instance on the same storage (a new process or page would make one): what the first wrote, it reads. */
  readonly reopen?: () => ProducerOutbox | Promise<ProducerOutbox>;
  /** Removes what the outbox left behind. */
  readonly dispose?: () => void | Promise<void>;
}

const encoder = new TextEncoder();

/** A batch of `values` on a JSON stream at (epoch, seq). */
export function jsonBatch(epoch: number, seq: number, values: readonly unknown[], close = false): OutboxBatch {
  return {
    epoch,
    seq,
    count: values.length,
    body: values.length === 0 ? undefined : encoder.encode(JSON.stringify(values)),
    sizes: undefined,
    close,
    contentType: 'application/json',
  };
}

const position = (epoch: number, nextSeq: number): OutboxPosition => ({
  url: 'http://127.0.0.1:1/v1/stream/outbox-conformance',
  producerId: 'conformance',
  epoch,
  nextSeq,
  contentType: 'application/json',
});

/** A batch as its contents compare: the body as plain bytes (whatever its view or class). */
const plain = (batch: OutboxBatch) => ({ ...batch, body: batch.body && Array.from(batch.body) });

export function describeProducerOutbox(name: string, make: () => OutboxUnderTest | Promise<OutboxUnderTest>): void {
  describe(`ProducerOutbox conformance: ${name}`, () => {
    let subject: OutboxUnderTest;
    const sessions: OutboxSession[] = [];
    const open = async (outbox: ProducerOutbox = subject.outbox) => {
      const session = await outbox.open();
      sessions.push(session);
      return session;
    };
    /** Closes `session`, then reads the outbox as a new producer would (from another instance, when the implementation has one). */
    const reread = async (session: OutboxSession) => {
      await session.close();
      const next = await open(subject.reopen ? await subject.reopen() : subject.outbox);
      const { contents } = next;
      await next.close();
      return { position: contents.position, batches: contents.batches.map(plain) };
    };

    beforeEach(async () => {
      subject = await make();
    });
    afterEach(async () => {
      for (const session of sessions.splice(0)) await session.close();
      await subject.dispose?.();
    });

    it('opens empty: no position, no batches', async () => {
      const session = await open();
      expect(session.contents).toEqual({ position: undefined, batches: [] });
    });

    it('gives the next session what the last one wrote: position and batches, bodies byte for byte', async () => {
      const session = await open();
      const batches = [jsonBatch(2, 7, [{ a: 1 }, 'é']), jsonBatch(2, 8, [[1, 2]])];
      await session.write({ put: batches, position: position(2, 9) });
      expect(await reread(session)).toEqual({ position: position(2, 9), batches: batches.map(plain) });
    });

    it('keeps a close-only batch (no body), sizes of a byte stream, and a body that is a view into a larger buffer', async () => {
      const session = await open();
      const backing = new Uint8Array([9, 9, 1, 2, 3, 0xff, 9]);
      const bytes: OutboxBatch = {
        epoch: 0,
        seq: 0,
        count: 2,
        body: backing.subarray(2, 6),
        sizes: [3, ~1],
        close: false,
        contentType: 'application/octet-stream',
      };
      const closing: OutboxBatch = { ...jsonBatch(0, 1, []), contentType: 'application/octet-stream', close: true };
      await session.write({ put: [bytes, closing], position: position(0, 2) });
      const { batches } = await reread(session);
      expect(batches).toEqual([{ ...plain(bytes), body: [1, 2, 3, 0xff] }, plain(closing)]);
    });

    it('gives batches back in (epoch, seq) order, whatever order they were put in', async () => {
      const session = await open();
      await session.write({ put: [jsonBatch(1, 3, [3]), jsonBatch(1, 1, [1])] });
      await session.write({ put: [jsonBatch(1, 2, [2])], position: position(1, 4) });
      const { batches } = await reread(session);
      expect(batches.map(({ seq }) => seq)).toEqual([1, 2, 3]);
    });

    it('replaces a batch put again under the same (epoch, seq)', async () => {
      const session = await open();
      await session.write({ put: [jsonBatch(0, 0, ['old']), jsonBatch(0, 1, ['next'])] });
      await session.write({ put: [jsonBatch(0, 0, ['new'])] });
      const { batches } = await reread(session);
      expect(batches).toEqual([plain(jsonBatch(0, 0, ['new'])), plain(jsonBatch(0, 1, ['next']))]);
    });

    it('removes every batch up to and including an acknowledged (epoch, seq), and keeps the position', async () => {
      const session = await open();
      await session.write({ put: [0, 1, 2, 3].map((seq) => jsonBatch(4, seq, [seq])), position: position(4, 4) });
      await session.write({ acknowledged: { epoch: 4, seq: 1 } });
      const { batches, position: kept } = await reread(session);
      expect(batches.map(({ seq }) => seq)).toEqual([2, 3]);
      expect(kept).toEqual(position(4, 4));
    });

    it('removes everything with an acknowledgement in a later epoch, and applies it before put', async () => {
      const session = await open();
      await session.write({ put: [jsonBatch(1, 5, [5]), jsonBatch(1, 6, [6])] });
      await session.write({ acknowledged: { epoch: 2, seq: 0 }, put: [jsonBatch(2, 0, ['again'])] });
      const { batches } = await reread(session);
      expect(batches).toEqual([plain(jsonBatch(2, 0, ['again']))]);
    });

    it('replaceAll removes every batch before put adds the renumbered ones', async () => {
      const session = await open();
      await session.write({ put: [jsonBatch(0, 3, ['a']), jsonBatch(0, 4, ['b']), jsonBatch(0, 5, ['c'])] });
      const renumbered = [jsonBatch(1, 0, ['a']), jsonBatch(1, 1, ['b'])];
      await session.write({ replaceAll: true, put: renumbered, position: position(1, 2) });
      expect(await reread(session)).toEqual({ position: position(1, 2), batches: renumbered.map(plain) });
    });

    it('replaceAll without put empties the outbox', async () => {
      const session = await open();
      await session.write({ put: [jsonBatch(0, 0, ['a'])], position: position(0, 1) });
      await session.write({ replaceAll: true });
      expect(await reread(session)).toEqual({ position: position(0, 1), batches: [] });
    });

    it('holds many batches and a large body', async () => {
      const session = await open();
      const large = jsonBatch(0, 0, ['x'.repeat(1 << 20)]);
      await session.write({ put: [large] });
      for (let seq = 1; seq <= 200; seq++)
        await session.write({ put: [jsonBatch(0, seq, [seq])], position: position(0, seq + 1) });
      await session.write({ acknowledged: { epoch: 0, seq: 100 } });
      const { batches } = await reread(session);
      expect(batches.map(({ seq }) => seq)).toEqual(Array.from({ length: 100 }, (_, index) => index + 101));
    });

    it('refuses a second session while one is open (OutboxLockedError), and opens again once it is closed', async () => {
      const first = await open();
      await expect(subject.outbox.open()).rejects.toBeInstanceOf(OutboxLockedError);
      if (subject.reopen) await expect((await subject.reopen()).open()).rejects.toBeInstanceOf(OutboxLockedError);
      await first.close();
      await first.close(); // a second close does nothing
      const second = await open();
      expect(second.contents.batches).toEqual([]);
    });

    it('refuses writes through a closed session, and the outbox stays as it was', async () => {
      const session = await open();
      await session.write({ put: [jsonBatch(0, 0, ['kept'])] });
      await session.close();
      await expect(session.write({ put: [jsonBatch(0, 1, ['lost'])] })).rejects.toThrow();
      const next = await open();
      expect(next.contents.batches.map(plain)).toEqual([plain(jsonBatch(0, 0, ['kept']))]);
    });
  });
}
