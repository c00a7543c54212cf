import { OutboxError } from '../outbox-errors.js';

/** The schema's version: raised (with an upgrade step) whenever the stores change. */
export const SCHEMA_VERSION = 1;
/** One record per outbox: `{ name, position }`. */
export const OUTBOXES = 'outboxes';
/** One record per saved batch, keyed `[outbox, epoch, seq]`: an outbox's batches are one key range, in (epoch, seq) order. */
export const BATCHES = 'batches';

/** The IndexedDB of this realm (a page, a worker), or undefined (a server render, Node, storage blocked by the user). */
export function globalIndexedDb(): IDBFactory | undefined {
  const { indexedDB } = globalThis as { readonly indexedDB?: IDBFactory };
  return indexedDB;
}

/**
 * Opens the app's outbox database, creating its stores on first use. The
 * connection closes itself when another tab upgrades or deletes the
 * database (`versionchange`), so this page never blocks it; `onLost` is
 * told then, and when the browser closes it (storage cleared). Fails with an
 * `OutboxError` (`open-failed`) naming why: no IndexedDB here, a newer
 * schema (the app was updated in another tab), an upgrade blocked by a
 * tab that does not let go.
 */
export function connect(factory: IDBFactory, database: string, onLost: () => void): Promise<IDBDatabase> {
  return new Promise((resolve, reject) => {
    let settled = false;
    const fail = (what: string, cause?: unknown, hint?: string) => {
      if (settled) return;
      settled = true;
      reject(
        new OutboxError({
          reason: 'open-failed',
          what: `The outbox database '${database}' could not be opened: ${what}`,
          ...(cause === undefined ? {} : { cause }),
          ...(hint === undefined ? {} : { hint }),
        }),
      );
    };
    let request: IDBOpenDBRequest;
    try {
      request = factory.open(database, SCHEMA_VERSION);
    } catch (error) {
      fail('IndexedDB refused to open it', error, STORAGE_HINT);
      return;
    }
    request.onupgradeneeded = () => {
      const db = request.result;
      if (!db.objectStoreNames.contains(OUTBOXES)) db.createObjectStore(OUTBOXES, { keyPath: 'name' });
      if (!db.objectStoreNames.contains(BATCHES))
        db.createObjectStore(BATCHES, { keyPath: ['outbox', 'epoch', 'seq'] });
    };
    request.onblocked = () =>
      fail(
        'another tab of this site keeps an older version of it open',
        undefined,
        'Close the other tabs of this site (or reload them), then try again',
      );
    request.onerror = () => {
      const error = request.error;
      if (error?.name === 'VersionError')
        fail('a newer version of this app changed it', error, 'Reload the page to run the newer version of the app');
      else fail('IndexedDB failed', error, STORAGE_HINT);
    };
    request.onsuccess = () => {
      const db = request.result;
      // Opened after the blocked upgrade went through: nobody waits for it any more.
      if (settled) return db.close();
      if (!db.objectStoreNames.contains(OUTBOXES) || !db.objectStoreNames.contains(BATCHES)) {
        db.close();
        return fail(
          `it exists without the outbox stores (another library's database of the same name?)`,
          undefined,
          "Give the outbox a database of its own: indexedDbOutbox(name, { database: '…' })",
        );
      }
      db.onversionchange = () => {
        db.close();
        onLost();
      };
      db.onclose = onLost;
      settled = true;
      resolve(db);
    };
  });
}

/**
 * Runs `work` in one transaction over `stores`, and resolves once it
 * committed (with what `work` answered), or rejects with why it aborted:
 * either all of it is applied, or none. Writes are `strict`: committed
 * means flushed to disk, so a crash of the browser or the machine keeps them.
 */
export function transact<T>(
  db: IDBDatabase,
  stores: readonly string[],
  mode: IDBTransactionMode,
  work: (transaction: IDBTransaction) => () => T,
): Promise<T> {
  return new Promise((resolve, reject) => {
    let transaction: IDBTransaction | undefined;
    let result: () => T;
    try {
      transaction = db.transaction([...stores], mode, { durability: mode === 'readwrite' ? 'strict' : 'default' });
      result = work(transaction);
    } catch (error) {
      // A request refused at once (a key or a value IndexedDB cannot take): nothing of the change is applied.
      try {
        transaction?.abort();
      } catch {
        // already finished
      }
      reject(asError(error));
      return;
    }
    transaction.oncomplete = () => {
      try {
        resolve(result());
      } catch (error) {
        reject(asError(error));
      }
    };
    transaction.onabort = () =>
      reject(transaction.error ?? new DOMException('The transaction was aborted', 'AbortError'));
  });
}

/** What a request answered, once its transaction committed: for {@link transact}'s `work`. */
export function answerOf<T>(request: IDBRequest<T>): () => T {
  return () => request.result;
}

const asError = (error: unknown): Error => (error instanceof Error ? error : new Error(String(error)));

const STORAGE_HINT =
  'The browser may block storage for this site (a setting, or a private window of an older browser): ' +
  'without it, nothing appended survives the page';
