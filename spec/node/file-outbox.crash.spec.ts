/**
 * Issue #24, done when: a process with `fileOutbox` appends 20 000 values,
 * the answers are lost, it is killed (SIGKILL); a new process on the same
 * outbox finishes: all 20 000 are stored once, in order, at the real
 * server. And the same with the kill landing mid-write of the outbox's log
 * (a torn last record, made by cutting the log inside its last record:
 * a SIGKILL does not tear a write() on a local disk, a power cut does).
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, truncateSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { FILE_MAGIC, readLog } from '../../lib/node/outbox-log';
import { createStream, readJsonMessages } from '../produce/support/read-back';
import { startFaultyProxy, type FaultyProxy } from '../produce/support/faulty-proxy';
import { serverUrl, streamBase, uniquePath } from '../support/real-server';
import { sleep } from '../support/until';

const COUNT = 20_000;
const root = join(__dirname, '..', '..');
const work = mkdtempSync(join(tmpdir(), 'outbox-crash-'));
const child = join(work, 'outbox-child.cjs');

beforeAll(async () => {
  // Bundled in a child process: esbuild's API wants the real realm's typed arrays, not the test sandbox's.
  await new Promise<void>((resolve, reject) =>
    execFile(
      join(root, 'node_modules/.bin/esbuild'),
      [
        join(__dirname, 'support/outbox-child.ts'),
        '--bundle',
        '--platform=node',
        '--format=cjs',
        '--log-level=warning',
        `--outfile=${child}`,
      ],
      { cwd: root },
      (error, _out, err) => (error ? reject(new Error(`${error.message}\n${err}`)) : resolve()),
    ),
  );
}, 60_000);

let proxy: FaultyProxy;
/** While the writer runs, every request reaches the server and every answer is lost (reset as it begins); then they pass. */
let answers: 'kill' | 'pass';
let running: ChildProcess | undefined;
beforeEach(async () => {
  answers = 'kill';
  proxy = await startFaultyProxy(serverUrl(), () => answers);
});
afterEach(async () => {
  running?.kill('SIGKILL');
  running = undefined;
  await proxy.close();
});
afterAll(() => rmSync(work, { recursive: true, force: true }));

/** Starts the child; `reports` yields its JSON lines as they come. */
function start(args: readonly string[]): { process: ChildProcess; reports: AsyncIterator<Record<string, unknown>> } {
  const started = spawn(process.execPath, [child, ...args], { stdio: ['ignore', 'pipe', 'inherit'] });
  running = started;
  const lines = createInterface({ input: started.stdout })[Symbol.asyncIterator]();
  return {
    process: started,
    reports: {
      next: async () => {
        const line = await lines.next();
        return line.done ? line : { done: false, value: JSON.parse(line.value) as Record<string, unknown> };
      },
    },
  };
}

async function nextReport(reports: AsyncIterator<Record<string, unknown>>): Promise<Record<string, unknown>> {
  const { done, value } = await reports.next();
  if (done) throw new Error('the child ended without reporting');
  return value;
}

async function kill(started: ChildProcess): Promise<void> {
  const exited = new Promise((resolve) => started.once('exit', resolve));
  started.kill('SIGKILL');
  await exited;
  running = undefined;
}

/** Runs a writer through the proxy until `saved` reports, lets the lost answers pile up, and kills it. */
async function writeAndKill(url: string, dir: string, extra: number): Promise<void> {
  const writer = start(['write', url, dir, String(COUNT), String(extra)]);
  expect(await nextReport(writer.reports)).toEqual({ saved: COUNT, errors: [] });
  if (extra > 0) expect(await nextReport(writer.reports)).toEqual({ saved: COUNT + extra, errors: [] });
  // Batches reached the server (8 in flight), their answers lost, retried and lost again.
  while (proxy.counts.killed < 16) await sleep(20);
  await kill(writer.process);
}

/** A new process on the outbox, the answers no longer lost: what it reports once finished. */
async function finish(url: string, dir: string): Promise<Record<string, unknown>> {
  answers = 'pass';
  const finisher = start(['finish', url, dir]);
  const reported = await nextReport(finisher.reports);
  await new Promise((resolve) => finisher.process.once('exit', resolve));
  running = undefined;
  return reported;
}

const numbers = (from: number, to: number) => Array.from({ length: to - from }, (_, index) => from + index);

describe('fileOutbox(dir) across a SIGKILL, at the real server', () => {
  it(`a new process delivers all ${COUNT} values once, in order, after the writer was killed with every answer lost`, async () => {
    const path = uniquePath('outbox-crash');
    const url = `${proxy.origin}/v1/stream/${path}`;
    const direct = `${streamBase()}/${path}`;
    await createStream(direct);
    const dir = join(work, 'killed');
    await writeAndKill(url, dir, 0);

    // The server stored some of them, unacknowledged; the writer knew of none.
    const before = (await readJsonMessages(direct)) as number[];
    expect(before.length).toBeGreaterThan(0);
    expect(before.length).toBeLessThan(COUNT);
    expect(before).toEqual(numbers(0, before.length));

    const finished = await finish(url, dir);
    expect(finished).toMatchObject({ errors: [] });
    // What had arrived was sent again under its (epoch, seq) and answered as a duplicate, not stored again.
    expect(finished.duplicates).toBeGreaterThan(0);
    const after = (await readJsonMessages(direct)) as number[];
    expect(after.length).toBe(COUNT);
    expect(after.findIndex((value, index) => value !== index)).toBe(-1);
    // And the outbox is empty: a third process has nothing to send.
    expect(readLog(readFileSync(join(dir, 'outbox.log'))).contents.batches).toEqual([]);
  }, 120_000);

  it('with the kill landing mid-write of the log: the torn record is dropped, the rest delivered once, in order', async () => {
    const path = uniquePath('outbox-torn');
    const url = `${proxy.origin}/v1/stream/${path}`;
    const direct = `${streamBase()}/${path}`;
    await createStream(direct);
    const dir = join(work, 'torn');
    await writeAndKill(url, dir, 500);

    // The log's last record, cut in the middle of its payload: the write a crash interrupted.
    const log = join(dir, 'outbox.log');
    const bytes = readFileSync(log);
    let last = FILE_MAGIC.byteLength;
    for (let at = last; at < bytes.byteLength; at += 16 + bytes.readUInt32LE(at + 4)) last = at;
    const lastLength = 16 + bytes.readUInt32LE(last + 4);
    truncateSync(log, last + Math.floor(lastLength / 2));
    const kept = readLog(readFileSync(log)).contents.batches;
    const held = kept.reduce((sum, batch) => sum + batch.count, 0);
    // Nothing was acknowledged, so the outbox holds every value from 0; the torn record held some of the last 500.
    expect(kept[0].seq).toBe(0);
    expect(held).toBeGreaterThanOrEqual(COUNT);
    expect(held).toBeLessThan(COUNT + 500);

    const finished = await finish(url, dir);
    expect(finished).toMatchObject({ errors: [] });
    expect(finished.duplicates).toBeGreaterThan(0);
    // Every value the intact log held, once and in order; none of the torn record's, nothing after.
    expect((await readJsonMessages(direct)) as number[]).toEqual(numbers(0, held));
  }, 120_000);
});
