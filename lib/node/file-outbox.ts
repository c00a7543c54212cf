import { mkdir, open, readFile, rename, type FileHandle } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { mustBe } from '../errors/argument-checks.js';
import { OutboxError } from '../produce/outbox/outbox-errors.js';
import { applyChange } from '../produce/outbox/memory-outbox.js';
import type {
  OutboxBatch,
  OutboxChange,
  OutboxContents,
  OutboxSession,
  ProducerOutbox,
} from '../produce/outbox/producer-outbox.js';
import { DamagedLogError, encodeRecord, FILE_MAGIC, readLog } from './outbox-log.js';
import { takeLock, type HeldLock } from './outbox-lock.js';

/** The log is rewritten once it is this large and four times what it holds (so a rewrite costs at most a quarter of the writes). */
const COMPACT_AT_BYTES = 1 << 20;

/**
 * An outbox in a directory, for Node services: what a producer saves
 * survives the process (a crash, SIGKILL, a deploy) and, as far as the
 * disk keeps its promises, the machine. Pass it as
 * `idempotentProducer(stream, id, { outbox: fileOutbox(dir) })`; the next
 * process that opens a producer with the same stream and id on the same
 * directory delivers what this one did not, exactly once, in order.
 *
 * The directory (made if missing) holds `outbox.log`, a log each change is
 * appended to and synced (`fdatasync`) before it counts as saved, each
 * record with checksums: a write torn by a crash is found at the next open
 * and dropped, never read as data; a log damaged elsewhere is refused
 * (`OutboxError`, `reason: 'damaged'`). The log is rewritten, atomically
 * (written aside, synced, renamed), once acknowledged batches make up most
 * of it, so it stays within a few times what is unacknowledged. And
 * `outbox.lock`, which names the process holding the outbox: while one
 * holds it, another `open()` (in this process or another on the same host)
 * is refused with an `OutboxLockedError`; a holder that died (SIGKILL) is
 * noticed and its lock taken over. One directory per producer.
 *
 * Throws an `InvalidArgumentError` at the call when `dir` is not a path.
 */
export function fileOutbox(dir: string): ProducerOutbox {
  if (typeof dir !== 'string' || dir === '') throw mustBe('dir', "a directory's path", dir);
  const folder = resolve(dir);
  return { open: () => openFileOutbox(folder) };
}

async function openFileOutbox(dir: string): Promise<OutboxSession> {
  await mkdir(dir, { recursive: true });
  const lock = await takeLock(join(dir, 'outbox.lock'), dir);
  try {
    return await openLog(dir, lock);
  } catch (error) {
    await lock.release();
    throw error;
  }
}

async function openLog(dir: string, lock: HeldLock): Promise<OutboxSession> {
  const path = join(dir, 'outbox.log');
  const { contents, validBytes, fileBytes } = await readExisting(path);
  let log: FileHandle;
  let size = validBytes;
  if (validBytes === 0) {
    ({ log } = await writeAside(`${path}.next`, contents));
    await rename(`${path}.next`, path);
    await syncDirectory(dir);
    size = (await log.stat()).size;
  } else {
    log = await open(path, 'r+');
    if (fileBytes > validBytes) {
      await log.truncate(validBytes); // the torn last write
      await log.sync();
    }
  }
  /**
   * What the log holds. Bodies saved by this session are not kept in memory: only where they lie in the log (for a
   * rewrite), so that a body is garbage once the producer lets it go, not once a later write removes it from here.
   */
  let current = contents;
  const located = new WeakMap<OutboxBatch, Located>();
  let closed: Promise<void> | undefined;
  let broken: unknown;
  let queue = Promise.resolve();

  const append = async (change: OutboxChange) => {
    if (closed)
      throw new OutboxError({ reason: 'write-failed', what: `The outbox ${dir} is closed`, url: urlOf(current) });
    if (broken) throw writeFailed(dir, current, broken);
    await lock.check();
    const record = encodeRecord(change);
    const length = record.reduce((sum, part) => sum + part.byteLength, 0);
    try {
      await writeAll(log, record, size);
      await log.datasync();
    } catch (error) {
      // The outbox must stay as before the change: the partial record goes, or no write may follow it.
      await log.truncate(size).catch((failed: unknown) => (broken = failed));
      throw writeFailed(dir, current, error);
    }
    const put = onDisk(change.put, size + record[0].byteLength, located);
    size += length;
    current = applyChange(current, { ...change, put });
    if (size > COMPACT_AT_BYTES && size > 4 * heldBytes(current, located)) await compact();
  };
  /** Rewrites the log with what it holds now; a failure before the rename leaves the old log in use. */
  const compact = async () => {
    let next: { log: FileHandle; bodiesAt: number };
    let batches: OutboxBatch[];
    try {
      batches = await readBodies(log, current.batches, located);
      next = await writeAside(`${path}.next`, { ...current, batches });
      await rename(`${path}.next`, path);
    } catch {
      return;
    }
    const old = log;
    ({ log } = next);
    current = { ...current, batches: onDisk(batches, next.bodiesAt, located) ?? [] };
    size = (await log.stat()).size;
    await old.close().catch(() => undefined);
    // Without it a power cut could bring the old log back, without what is appended from now on: stop writing.
    await syncDirectory(dir).catch((error: unknown) => (broken = error));
  };
  return {
    contents,
    write: (change) => {
      const written = queue.then(() => append(change));
      queue = written.catch(() => undefined);
      return written;
    },
    close: () =>
      (closed ??= queue.then(async () => {
        await log.close().catch(() => undefined);
        await lock.release();
      })),
  };
}

/** What the log holds, and how many of its bytes are whole records. */
async function readExisting(
  path: string,
): Promise<{ contents: OutboxContents; validBytes: number; fileBytes: number }> {
  let bytes: Uint8Array;
  try {
    bytes = await readFile(path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    return { contents: { position: undefined, batches: [] }, validBytes: 0, fileBytes: 0 };
  }
  try {
    return { ...readLog(bytes), fileBytes: bytes.byteLength };
  } catch (error) {
    if (!(error instanceof DamagedLogError)) throw error;
    throw new OutboxError({ reason: 'damaged', what: `The outbox ${path} cannot be read: ${error.message}` });
  }
}

/**
 * Writes `contents` as a whole log at `path`, synced, and returns it open (renamed into place, it replaces a log at
 * once) with where the batches' bodies begin in it.
 */
async function writeAside(path: string, contents: OutboxContents): Promise<{ log: FileHandle; bodiesAt: number }> {
  const log = await open(path, 'w+');
  try {
    const record = encodeRecord({
      replaceAll: true,
      put: contents.batches,
      ...(contents.position ? { position: contents.position } : {}),
    });
    await writeAll(log, [FILE_MAGIC, ...record], 0);
    await log.datasync();
    return { log, bodiesAt: FILE_MAGIC.byteLength + record[0].byteLength };
  } catch (error) {
    await log.close();
    throw error;
  }
}

/** Writes `parts` one after another from `position`, however many calls it takes. */
async function writeAll(file: FileHandle, parts: readonly Uint8Array[], position: number): Promise<void> {
  let rest = parts;
  for (let at = position; rest.length > 0;) {
    let { bytesWritten } = await file.writev(rest as Uint8Array[], at);
    at += bytesWritten;
    // A short write: drop what went, go on from inside the part it stopped in.
    while (rest.length > 0 && bytesWritten >= rest[0].byteLength) {
      bytesWritten -= rest[0].byteLength;
      rest = rest.slice(1);
    }
    if (bytesWritten > 0) rest = [rest[0].subarray(bytesWritten), ...rest.slice(1)];
  }
}

async function syncDirectory(dir: string): Promise<void> {
  const handle = await open(dir, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/** Where a batch's body lies in the log. */
interface Located {
  readonly at: number;
  readonly length: number;
}

/**
 * `batches`, their bodies written one after another from `at` in the log (as `encodeRecord` writes them): without
 * their bodies, which `located` finds in the log.
 */
function onDisk(
  batches: readonly OutboxBatch[] | undefined,
  at: number,
  located: WeakMap<OutboxBatch, Located>,
): OutboxBatch[] | undefined {
  return batches?.map((batch) => {
    const length = batch.body?.byteLength ?? 0;
    if (length === 0) return batch;
    const kept: OutboxBatch = { ...batch, body: undefined };
    located.set(kept, { at, length });
    at += length;
    return kept;
  });
}

/** `batches` with their bodies, those kept in the log read back from it. */
async function readBodies(
  log: FileHandle,
  batches: readonly OutboxBatch[],
  located: WeakMap<OutboxBatch, Located>,
): Promise<OutboxBatch[]> {
  const read: OutboxBatch[] = [];
  for (const batch of batches) {
    const where = located.get(batch);
    if (!where) {
      read.push(batch);
      continue;
    }
    const body = Buffer.allocUnsafe(where.length);
    for (let done = 0; done < where.length;) {
      const { bytesRead } = await log.read(body, done, where.length - done, where.at + done);
      if (bytesRead === 0) throw new Error(`the outbox log ends inside a body (byte ${where.at + done})`);
      done += bytesRead;
    }
    read.push({ ...batch, body });
  }
  return read;
}

function heldBytes({ batches }: OutboxContents, located: WeakMap<OutboxBatch, Located>): number {
  return batches.reduce((sum, batch) => sum + (batch.body?.byteLength ?? located.get(batch)?.length ?? 0) + 64, 0);
}

function urlOf({ position }: OutboxContents): string {
  return position?.url ?? '';
}

function writeFailed(dir: string, contents: OutboxContents, cause: unknown): OutboxError {
  return new OutboxError({
    reason: 'write-failed',
    what: `A change could not be saved in the outbox ${dir}`,
    url: urlOf(contents),
    cause,
  });
}
