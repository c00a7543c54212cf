import { BATCHES, connect, globalIndexedDb, OUTBOXES, transact } from './idb-database.js';
import { outboxLockName } from './indexed-db-outbox.js';
import { globalLocks, takeLock } from './outbox-lock.js';

/**
 * The names of the outboxes in `database` that start with `prefix` (those
 * with a record: every outbox a producer wrote to). Empty where there is
 * no IndexedDB.
 */
export async function outboxNames(database: string, prefix: string): Promise<string[]> {
  const factory = globalIndexedDb();
  if (!factory) return [];
  const db = await connect(factory, database, () => undefined);
  try {
    return await transact(db, [OUTBOXES], 'readonly', (transaction) => {
      const request = transaction.objectStore(OUTBOXES).getAllKeys(IDBKeyRange.bound(prefix, `${prefix}\uffff`));
      return () => request.result.filter((key): key is string => typeof key === 'string');
    });
  } finally {
    db.close();
  }
}

/**
 * Removes outbox `name` from `database` if it holds no batch, taking its
 * lock first (a held outbox is left alone). Answers whether it is gone.
 * An outbox keeps its record (the producer's position) while a producer may
 * come back to it; this is for one whose producer never will.
 */
export async function removeEmptyOutbox(database: string, name: string): Promise<boolean> {
  const factory = globalIndexedDb();
  if (!factory) return false;
  const lock = await takeLock(outboxLockName(database, name), globalLocks());
  if ('heldBy' in lock) return false;
  try {
    const db = await connect(factory, database, () => undefined);
    try {
      const range = IDBKeyRange.bound([name], [name, []]);
      return await transact(db, [OUTBOXES, BATCHES], 'readwrite', (transaction) => {
        const batches = transaction.objectStore(BATCHES).count(range);
        batches.onsuccess = () => {
          if (batches.result === 0) transaction.objectStore(OUTBOXES).delete(name);
        };
        return () => batches.result === 0;
      });
    } finally {
      db.close();
    }
  } finally {
    lock.release();
  }
}
