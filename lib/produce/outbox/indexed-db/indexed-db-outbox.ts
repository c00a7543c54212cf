import { checkOptionsObject } from '../../../errors/argument-checks.js';
import { InvalidArgumentError } from '../../../errors/client-errors.js';
import { OutboxError, OutboxLockedError } from '../outbox-errors.js';
import type { OutboxChange, OutboxContents, OutboxSession, ProducerOutbox } from '../producer-outbox.js';
import { answerOf, BATCHES, connect, globalIndexedDb, OUTBOXES, transact } from './idb-database.js';
import { globalLocks, takeLock, type HeldOutboxLock } from './outbox-lock.js';
import { batchOf, batchRecord, positionOf, type OutboxRecord } from './outbox-records.js';

/** Options of {@link indexedDbOutbox}. */
export interface IndexedDbOutboxOptions {
  /**
   * The IndexedDB database the app's outboxes live in, one per app (default
   * `'durable-streams-rx'`): every outbox of the app is a record set in it,
   * created on first use. Name one only to keep two apps of one origin apart.
   */
  readonly database?: string;
}

/** The database of {@link indexedDbOutbox} when none is named. */
export const DEFAULT_OUTBOX_DATABASE = 'durable-streams-rx';

/**
 * A `ProducerOutbox` in the page's IndexedDB, for producers in a browser:
 * what the producer saved survives a reload, a crash and a closed tab, and a
 * producer opened later on the same outbox (same `name`) delivers it.
 * Pure browser API, no dependency; nothing is opened before the producer
 * opens the outbox, so it can be made during a server render (where opening
 * fails: there is no IndexedDB there).
 *
 * Every change is one IndexedDB transaction with `strict` durability:
 * applied whole or not at all, and on disk once saved. One tab holds an
 * outbox at a time: `open()` takes a Web Lock named after the outbox (the
 * browser releases it when the tab goes away), and rejects with an
 * `OutboxLockedError` while another tab, window or worker of the site holds
 * it. Where the Web Locks API is missing (a page served over plain http
 * from another host than localhost), the lock holds within the page only.
 *
 * Storage that fails becomes an `OutboxError`: `write-failed` when the
 * site's storage quota is used up or the browser closed the database
 * (storage cleared), `open-failed` when IndexedDB is missing or refused, or
 * a newer version of the app changed the database in another tab.
 */
export function indexedDbOutbox(name: string, options: IndexedDbOutboxOptions = {}): ProducerOutbox {
  if (typeof name !== 'string' || name === '')
    throw new InvalidArgumentError(`indexedDbOutbox(name): the name must be a non-empty string`);
  checkOptionsObject(options);
  const database = options.database ?? DEFAULT_OUTBOX_DATABASE;
  if (typeof database !== 'string' || database === '')
    throw new InvalidArgumentError(`indexedDbOutbox(): options.database must be a non-empty string`);
  return { open: () => openOutbox(name, database) };
}

/** The Web Lock an IndexedDB outbox is held with. */
export function outboxLockName(database: string, name: string): string {
  return `durable-streams-rx outbox ${database}/${name}`;
}

async function openOutbox(name: string, database: string): Promise<OutboxSession> {
  const factory = globalIndexedDb();
  if (!factory)
    throw new OutboxError({
      reason: 'open-failed',
      what: `IndexedDB is not available here, so the outbox '${name}' cannot be opened`,
      hint: 'An IndexedDB outbox lives in a browser: on a server (a server render), give the producer none',
    });
  const label = `'${name}' (IndexedDB database '${database}')`;
  const lock = await takeLock(outboxLockName(database, name), globalLocks());
  if ('heldBy' in lock)
    throw new OutboxLockedError({
      outbox: label,
      holder:
        lock.heldBy === 'this page' ? 'another producer in this page' : 'another tab, window or worker of this site',
    });
  try {
    const session = new IndexedDbSession(factory, database, name, label, lock);
    await session.load();
    return session;
  } catch (error) {
    lock.release();
    throw error;
  }
}

/** An open IndexedDB outbox: its lock held, its connection opened again when the browser closed it. */
class IndexedDbSession implements OutboxSession {
  contents: OutboxContents = { position: undefined, batches: [] };
  private connection: Promise<IDBDatabase> | undefined;
  /** The writes in order: each starts once the one before settled. */
  private queue: Promise<unknown> = Promise.resolve();
  private closing: Promise<void> | undefined;

  constructor(
    private readonly factory: IDBFactory,
    private readonly database: string,
    private readonly name: string,
    private readonly label: string,
    private readonly lock: HeldOutboxLock,
  ) {}

  /** Reads what the outbox holds into `contents`. */
  async load(): Promise<void> {
    const db = await this.db();
    const range = this.all();
    this.contents = await transact(db, [OUTBOXES, BATCHES], 'readonly', (transaction) => {
      const record = answerOf(
        transaction.objectStore(OUTBOXES).get(this.name) as IDBRequest<{ position?: unknown } | undefined>,
      );
      const batches = answerOf(transaction.objectStore(BATCHES).getAll(range) as IDBRequest<unknown[]>);
      return () => ({
        position: positionOf(record(), this.label),
        batches: batches().map((batch) => batchOf(batch, this.label)),
      });
    }).catch((error: unknown) => {
      throw error instanceof OutboxError ? error : this.failure('open-failed', 'could not be read', error);
    });
  }

  write(change: OutboxChange): Promise<void> {
    if (this.closing) return Promise.reject(this.closedError());
    const written = this.queue.then(() => this.apply(change));
    this.queue = written.catch(() => undefined);
    return written;
  }

  close(): Promise<void> {
    return (this.closing ??= this.queue.then(async () => {
      const connection = this.connection;
      this.connection = undefined;
      this.lock.release();
      (await connection?.catch(() => undefined))?.close();
    }));
  }

  private async apply(change: OutboxChange): Promise<void> {
    if (this.lock.lost)
      throw new OutboxLockedError({ outbox: this.label, holder: 'another context, which took its Web Lock away' });
    const db = await this.db().catch((error: unknown) => {
      throw this.failure('write-failed', 'could not be opened again', error);
    });
    const { name } = this;
    await transact(db, [OUTBOXES, BATCHES], 'readwrite', (transaction) => {
      const batches = transaction.objectStore(BATCHES);
      if (change.replaceAll) batches.delete(this.all());
      else if (change.acknowledged) {
        const { epoch, seq } = change.acknowledged;
        batches.delete(IDBKeyRange.bound([name], [name, epoch, seq]));
      }
      for (const batch of change.put ?? []) batches.put(batchRecord(name, batch));
      const record: OutboxRecord = { name, position: change.position ?? this.contents.position };
      transaction.objectStore(OUTBOXES).put(record);
      return () => undefined;
    }).catch((error: unknown) => {
      throw this.failure('write-failed', 'could not save a change', error);
    });
    if (change.position) this.contents = { ...this.contents, position: change.position };
  }

  /** Every batch key of this outbox: numbers sort before arrays, so `[name, []]` is past every `[name, epoch, seq]`. */
  private all(): IDBKeyRange {
    return IDBKeyRange.bound([this.name], [this.name, []]);
  }

  private db(): Promise<IDBDatabase> {
    const lost = () => (this.connection = undefined);
    const connection = (this.connection ??= connect(this.factory, this.database, lost));
    // A failed attempt is not kept: the next write tries again.
    connection.catch(lost);
    return connection;
  }

  private failure(reason: 'write-failed' | 'open-failed', what: string, cause: unknown): OutboxError {
    if (cause instanceof OutboxError && cause.reason === reason) return cause;
    const quota = (cause as { name?: unknown } | undefined)?.name === 'QuotaExceededError';
    return new OutboxError({
      reason,
      what: quota
        ? `The IndexedDB outbox ${this.label} is out of space: the site's storage quota is used up`
        : `The IndexedDB outbox ${this.label} ${what}`,
      cause,
      ...(quota
        ? {
            hint:
              'Free storage of this site (or ask for more with navigator.storage.persist()); ' +
              'values appended since the last save are not saved, the producer hands them back with unsentValues()',
          }
        : {}),
    });
  }

  private closedError(): OutboxError {
    return new OutboxError({
      reason: 'write-failed',
      what: `The session of the IndexedDB outbox ${this.label} is closed`,
      hint: 'Open the outbox again to write to it',
    });
  }
}
