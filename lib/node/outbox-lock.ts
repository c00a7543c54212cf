import { randomBytes } from 'node:crypto';
import { link, readFile, unlink, writeFile } from 'node:fs/promises';
import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { OutboxLockedError } from '../produce/outbox/outbox-errors.js';

/*
 * The lock that lets one process at a time own a file outbox: a lock file
 * naming its holder (pid, host, and the process's start time where the
 * platform tells it). It appears whole or not at all (written aside, then
 * hard-linked into place, which fails if one is there). A holder that died
 * without removing it (SIGKILL, a power cut) is told from a live one: no
 * process with its pid, or one that started at another time (a pid used
 * again, as after a container's restart). A holder on another host is
 * taken as alive: it cannot be asked.
 */

interface Holder {
  readonly pid: number;
  readonly host: string;
  /** The process's start time (Linux: clock ticks after boot), where known. */
  readonly started: string | undefined;
  /** Random: tells this lock file from one another session linked at the same path later. */
  readonly token?: string;
}

/** A lock held: the lock file is ours while it holds our token (an inode may be used again once a file is removed). */
export interface HeldLock {
  /** Rejects with an `OutboxLockedError` once the lock file is no longer ours (removed, or taken over). */
  check(): Promise<void>;
  /** Removes the lock file, if it is still ours. */
  release(): Promise<void>;
}

/** Takes the lock file at `path` for this process, or rejects with an `OutboxLockedError` naming its live holder. */
export async function takeLock(path: string, outbox: string): Promise<HeldLock> {
  const token = randomBytes(8).toString('hex');
  const self: Holder = { pid: process.pid, host: hostname(), started: startTime(process.pid), token };
  const aside = `${path}.${process.pid}.${token}`;
  await writeFile(aside, JSON.stringify(self));
  try {
    // A dead holder's file is removed and the link tried again; twice at most (another process may be doing the same).
    for (let attempt = 0; ; attempt++) {
      try {
        await link(aside, path);
        return heldLock(path, outbox, token);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      }
      const holder = await readHolder(path);
      if (holder && isAlive(holder)) throw new OutboxLockedError({ outbox, holder: describe(holder) });
      if (attempt === 2)
        throw new OutboxLockedError({ outbox, holder: holder ? describe(holder) : 'a process that left no name' });
      await unlink(path).catch(ignoreMissing);
    }
  } finally {
    await unlink(aside).catch(ignoreMissing);
  }
}

function heldLock(path: string, outbox: string, token: string): HeldLock {
  const ours = async () => (await readHolder(path))?.token === token;
  return {
    check: async () => {
      if (await ours()) return;
      const holder = await readHolder(path);
      throw new OutboxLockedError({
        outbox,
        holder: holder ? describe(holder) : 'nobody: its lock file was removed while it was open',
      });
    },
    release: async () => {
      if (await ours()) await unlink(path).catch(ignoreMissing);
    },
  };
}

async function readHolder(path: string): Promise<Holder | undefined> {
  try {
    const holder = JSON.parse(await readFile(path, 'utf8')) as Partial<Holder>;
    return typeof holder.pid === 'number' && typeof holder.host === 'string'
      ? { pid: holder.pid, host: holder.host, started: holder.started ?? undefined, token: holder.token }
      : undefined;
  } catch {
    return undefined; // gone meanwhile, or not ours: taken as a dead holder's
  }
}

function isAlive(holder: Holder): boolean {
  if (holder.host !== hostname()) return true;
  try {
    process.kill(holder.pid, 0);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ESRCH') return false;
  }
  const started = startTime(holder.pid);
  return holder.started === undefined || started === undefined || started === holder.started;
}

function describe(holder: Holder): string {
  if (holder.host !== hostname()) return `process ${holder.pid} on ${holder.host}`;
  return holder.pid === process.pid && holder.started === startTime(process.pid)
    ? 'this process'
    : `process ${holder.pid}`;
}

/** A process's start time (field 22 of /proc/<pid>/stat, after the command's closing parenthesis), where there is a /proc. */
function startTime(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19];
  } catch {
    return undefined;
  }
}

function ignoreMissing(error: unknown): void {
  if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
}
