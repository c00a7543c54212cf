import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileOutbox } from '../../lib/node/file-outbox';
import { OutboxError, OutboxLockedError } from '../../lib/produce/outbox/outbox-errors';
import type { OutboxSession, ProducerOutbox } from '../../lib/produce/outbox/producer-outbox';
import { describeProducerOutbox, jsonBatch } from '../support/producer-outbox-conformance';
import { range } from '../support/range';

const dirs: string[] = [];
const scratch = () => {
  const dir = mkdtempSync(join(tmpdir(), 'file-outbox-'));
  dirs.push(dir);
  return dir;
};
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

describeProducerOutbox('fileOutbox(dir)', () => {
  const dir = scratch();
  return { outbox: fileOutbox(dir), reopen: () => fileOutbox(dir), dispose: () => rmSync(dir, { recursive: true }) };
});

const position = (nextSeq: number) => ({
  url: 'http://127.0.0.1:1/v1/stream/file-outbox',
  producerId: 'p',
  epoch: 0,
  nextSeq,
  contentType: 'application/json',
});

/** Opens `outbox`, hands its session to `use`, closes it. */
async function withSession<T>(outbox: ProducerOutbox, use: (session: OutboxSession) => Promise<T>): Promise<T> {
  const session = await outbox.open();
  try {
    return await use(session);
  } finally {
    await session.close();
  }
}

const seqsIn = (dir: string) =>
  withSession(fileOutbox(dir), async ({ contents }) => contents.batches.map((b) => b.seq));
const logOf = (dir: string) => join(dir, 'outbox.log');

/** A log holding seqs 0..count-1, one record each; returns the log's size after each record. */
async function logWith(dir: string, count: number): Promise<number[]> {
  const sizes: number[] = [];
  await withSession(fileOutbox(dir), async (session) => {
    for (let seq = 0; seq < count; seq++) {
      await session.write({ put: [jsonBatch(0, seq, [`value ${seq}`])], position: position(seq + 1) });
      sizes.push(statSync(logOf(dir)).size);
    }
  });
  return sizes;
}

describe('fileOutbox(dir): a crash mid-write', () => {
  it('drops a torn last record, whatever byte it was cut at, and keeps every whole one', async () => {
    const dir = scratch();
    const sizes = await logWith(dir, 3);
    const whole = readFileSync(logOf(dir));
    for (let cut = sizes[1] + 1; cut < sizes[2]; cut++) {
      writeFileSync(logOf(dir), whole.subarray(0, cut));
      expect({ cut, seqs: await seqsIn(dir) }).toEqual({ cut, seqs: [0, 1] });
      // Dropped for good: the next record goes where the torn one began.
      expect(statSync(logOf(dir)).size).toBe(sizes[1]);
    }
  });

  it('drops a last record the file system left as zeros or with its bytes scrambled', async () => {
    const dir = scratch();
    const sizes = await logWith(dir, 3);
    const whole = readFileSync(logOf(dir));
    const zeros = Buffer.concat([whole.subarray(0, sizes[1]), Buffer.alloc(sizes[2] - sizes[1])]);
    writeFileSync(logOf(dir), zeros);
    expect(await seqsIn(dir)).toEqual([0, 1]);
    const scrambled = Buffer.from(whole);
    scrambled[sizes[2] - 3] ^= 0x40; // inside the last body
    writeFileSync(logOf(dir), scrambled);
    expect(await seqsIn(dir)).toEqual([0, 1]);
  });

  it('goes on after a torn record: what is written next is read back after the whole ones', async () => {
    const dir = scratch();
    const sizes = await logWith(dir, 3);
    truncateSync(logOf(dir), sizes[2] - 5);
    await withSession(fileOutbox(dir), (session) => session.write({ put: [jsonBatch(0, 7, ['after'])] }));
    expect(await seqsIn(dir)).toEqual([0, 1, 7]);
  });

  it('refuses a log damaged before its last record (OutboxError damaged), and leaves it as it is', async () => {
    const dir = scratch();
    const sizes = await logWith(dir, 3);
    const damaged = readFileSync(logOf(dir));
    damaged[sizes[1] - 3] ^= 0x40; // inside record 1: record 2 after it is whole
    writeFileSync(logOf(dir), damaged);
    const error = (await fileOutbox(dir)
      .open()
      .catch((failed: unknown) => failed)) as OutboxError;
    expect(error).toBeInstanceOf(OutboxError);
    expect(error.reason).toBe('damaged');
    expect(readFileSync(logOf(dir))).toEqual(damaged);
    // The lock is given back: the outbox can be opened again once repaired.
    writeFileSync(logOf(dir), '');
    expect(await seqsIn(dir)).toEqual([]);
  });

  it('refuses a file that is not an outbox log', async () => {
    const dir = scratch();
    writeFileSync(logOf(dir), 'some other file, long enough to be compared byte for byte');
    await expect(fileOutbox(dir).open()).rejects.toMatchObject({ reason: 'damaged' });
  });
});

describe('fileOutbox(dir): growth', () => {
  it('rewrites the log once acknowledged batches make up most of it: it stays bounded however much passes through', async () => {
    const dir = scratch();
    const body = 'x'.repeat(16 * 1024);
    const largest = await withSession(fileOutbox(dir), async (session) => {
      let max = 0;
      for (let seq = 0; seq < 1000; seq++) {
        await session.write({ put: [jsonBatch(0, seq, [body])], position: position(seq + 1) });
        if (seq >= 2) await session.write({ acknowledged: { epoch: 0, seq: seq - 2 } });
        max = Math.max(max, statSync(logOf(dir)).size);
      }
      return max;
    });
    // 16 MiB passed through; the log never held more than about its threshold (1 MiB) and a record.
    expect(largest).toBeLessThan(1.2 * 2 ** 20);
    expect(await seqsIn(dir)).toEqual([998, 999]);
    expect(readdirSync(dir).sort()).toEqual(['outbox.log']);
  });
});

describe('fileOutbox(dir): one holder at a time', () => {
  it('rewrites the log with the bodies it kept on disk (not in memory): the batches held are read back whole', async () => {
    const dir = scratch();
    const value = (seq: number) => `${seq} `.repeat(4096);
    const last = await withSession(fileOutbox(dir), async (session) => {
      // Ten batches held at any time; stop right after a rewrite, which read them back from the log.
      for (let seq = 0, size = 0; ; seq++) {
        await session.write({ put: [jsonBatch(0, seq, [value(seq), seq])], position: position(seq + 1) });
        if (seq >= 10) await session.write({ acknowledged: { epoch: 0, seq: seq - 10 } });
        const now = statSync(logOf(dir)).size;
        if (seq > 100 && now < size) return seq;
        size = now;
      }
    });
    const held = await withSession(fileOutbox(dir), async ({ contents }) =>
      contents.batches.map(({ seq, body }) => [seq, JSON.parse(Buffer.from(body!).toString()) as unknown]),
    );
    expect(held).toEqual(range(last - 9, last + 1).map((seq) => [seq, [value(seq), seq]]));
  });

  it('names the holder: this process, or another process by its pid', async () => {
    const dir = scratch();
    const session = await fileOutbox(dir).open();
    await expect(fileOutbox(dir).open()).rejects.toMatchObject({ holder: 'this process' });
    await session.close();

    const child = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { stdio: 'ignore' });
    try {
      const pid = child.pid ?? 0;
      writeFileSync(join(dir, 'outbox.lock'), JSON.stringify({ pid, host: hostname() }));
      const error = await fileOutbox(dir)
        .open()
        .catch((failed: unknown) => failed);
      expect(error).toBeInstanceOf(OutboxLockedError);
      expect(error).toMatchObject({ holder: `process ${pid}` });
    } finally {
      child.kill('SIGKILL');
      await new Promise((resolve) => child.once('exit', resolve));
    }
    // Its holder died without giving it back (SIGKILL): the next open takes it over.
    await withSession(fileOutbox(dir), async () => undefined);
    expect(readdirSync(dir).sort()).toEqual(['outbox.log']);
  });

  it("takes over a lock whose pid is alive but started at another time (a pid used again, as after a container's restart)", async () => {
    const dir = scratch();
    writeFileSync(join(dir, 'outbox.lock'), JSON.stringify({ pid: process.pid, host: hostname(), started: '1' }));
    await withSession(fileOutbox(dir), async () => undefined);
  });

  it('a session whose lock file was taken from it refuses to write (OutboxLockedError inside)', async () => {
    const dir = scratch();
    const session = await fileOutbox(dir).open();
    rmSync(join(dir, 'outbox.lock'));
    const other = await fileOutbox(dir).open();
    await expect(session.write({ put: [jsonBatch(0, 0, ['late'])] })).rejects.toBeInstanceOf(OutboxLockedError);
    await session.close(); // leaves the other's lock in place
    await expect(fileOutbox(dir).open()).rejects.toBeInstanceOf(OutboxLockedError);
    await other.close();
  });
});
