import { OutboxError, OutboxLockedError } from '../../../lib/produce/outbox/outbox-errors';
import { connect } from '../../../lib/produce/outbox/indexed-db/idb-database';
import {
  DEFAULT_OUTBOX_DATABASE,
  indexedDbOutbox,
  outboxLockName,
} from '../../../lib/produce/outbox/indexed-db/indexed-db-outbox';
import type { LockManagerLike } from '../../../lib/read/cross-tab/leadership';
import type { OutboxLockManager } from '../../../lib/produce/outbox/indexed-db/outbox-lock';
import type { OutboxSession } from '../../../lib/produce/outbox/producer-outbox';
import { FakeLocks, fakeNavigatorPerTest } from '../../read/cross-tab/support/fake-tabs';
import { describeProducerOutbox, jsonBatch } from '../../support/producer-outbox-conformance';
import { fakeIndexedDbPerTest } from './support/fake-indexed-db';
import { sleep } from '../../support/until';

const storage = fakeIndexedDbPerTest();
const navigator = fakeNavigatorPerTest();

describe('indexedDbOutbox() with Web Locks (fake-indexeddb)', () => {
  beforeEach(() => navigator.setLocks(new FakeLocks()));
  describeProducerOutbox("indexedDbOutbox('conformance')", () => ({
    outbox: indexedDbOutbox('conformance'),
    reopen: () => indexedDbOutbox('conformance'),
  }));
});

describe('indexedDbOutbox() without Web Locks (fake-indexeddb)', () => {
  describeProducerOutbox("indexedDbOutbox('conformance', { database })", () => ({
    outbox: indexedDbOutbox('conformance', { database: 'app' }),
    reopen: () => indexedDbOutbox('conformance', { database: 'app' }),
  }));
});

function expectOutboxError(error: unknown, reason: string): void {
  expect(error).toBeInstanceOf(OutboxError);
  expect(error).toMatchObject({ reason });
}

/** Reads what the outbox holds, as a new page would, and gives it up again. */
async function reread(name: string, database?: string) {
  const session = await indexedDbOutbox(name, database ? { database } : {}).open();
  await session.close();
  return session.contents;
}

/** The raw records of the batches store. */
async function storedBatches(
  database = DEFAULT_OUTBOX_DATABASE,
): Promise<Array<{ outbox: string; body?: Uint8Array }>> {
  const db = await connect(storage.factory(), database, () => undefined);
  try {
    return await new Promise((resolve, reject) => {
      const request = db.transaction('batches').objectStore('batches').getAll();
      request.onsuccess = () => resolve(request.result as Array<{ outbox: string; body?: Uint8Array }>);
      request.onerror = () => reject(request.error ?? new Error('open failed'));
    });
  } finally {
    db.close();
  }
}

describe('indexedDbOutbox()', () => {
  let locks: FakeLocks;
  const sessions: OutboxSession[] = [];
  const open = async (name = 'compose', database?: string) => {
    const session = await indexedDbOutbox(name, database ? { database } : {}).open();
    sessions.push(session);
    return session;
  };
  beforeEach(() => navigator.setLocks((locks = new FakeLocks())));
  afterEach(async () => {
    for (const session of sessions.splice(0)) await session.close();
  });

  it('keeps outboxes of one database apart, also when one name starts with the other', async () => {
    const a = await open('a');
    const ab = await open('a/b');
    await a.write({ put: [jsonBatch(0, 0, ['a'])] });
    await ab.write({ put: [jsonBatch(0, 0, ['a/b']), jsonBatch(0, 1, ['a/b 2'])] });
    await a.write({ acknowledged: { epoch: 9, seq: 9 } });
    await a.close();
    await ab.close();
    expect((await reread('a')).batches).toEqual([]);
    expect((await reread('a/b')).batches.map(({ seq }) => seq)).toEqual([0, 1]);
  });

  it('keeps databases apart: the same outbox name in another database is another outbox', async () => {
    const one = await open('compose');
    const other = await open('compose', 'other-app');
    await one.write({ put: [jsonBatch(0, 0, ['one'])] });
    await one.close();
    await other.close();
    expect((await reread('compose', 'other-app')).batches).toEqual([]);
    expect((await reread('compose')).batches).toHaveLength(1);
  });

  it('stores a body that is a view into a larger buffer as its own bytes, not the whole buffer', async () => {
    const session = await open();
    const backing = new Uint8Array(64 * 1024).fill(7);
    await session.write({ put: [{ ...jsonBatch(0, 0, []), body: backing.subarray(10, 14), count: 1 }] });
    const [record] = await storedBatches();
    expect(record.body?.buffer.byteLength).toBe(4);
    expect(Array.from(record.body ?? [])).toEqual([7, 7, 7, 7]);
  });

  it('holds the outbox with a Web Lock named after it: refused while another tab holds it, taken once it lets go', async () => {
    let release: () => void = () => undefined;
    const otherTab = new Promise<void>((resolve) => (release = resolve));
    let held!: () => void;
    const granted = new Promise<void>((resolve) => (held = resolve));
    void locks.request(outboxLockName(DEFAULT_OUTBOX_DATABASE, 'compose'), {}, () => (held(), otherTab));
    await granted;
    const refused = await indexedDbOutbox('compose')
      .open()
      .catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(OutboxLockedError);
    expect((refused as OutboxLockedError).holder).toBe('another tab, window or worker of this site');
    expect((refused as Error).message).toContain("'compose' (IndexedDB database 'durable-streams-rx')");
    release();
    await sleep(5);
    const session = await open();
    expect(locks.held.has(outboxLockName(DEFAULT_OUTBOX_DATABASE, 'compose'))).toBe(true);
    await session.close();
    expect(locks.held.has(outboxLockName(DEFAULT_OUTBOX_DATABASE, 'compose'))).toBe(false);
  });

  it('tells a second producer in this page from another tab', async () => {
    await open();
    const refused = await indexedDbOutbox('compose')
      .open()
      .catch((error: unknown) => error);
    expect((refused as OutboxLockedError).holder).toBe('another producer in this page');
  });

  it('refuses the writes of a session whose Web Lock another context stole', async () => {
    // What `navigator.locks.request(name, { steal: true })` elsewhere does to the holder: its request rejects.
    const holders = new Map<string, (error: unknown) => void>();
    const stealable: OutboxLockManager = {
      request: (name, _options, callback) =>
        new Promise((resolve, reject) => {
          holders.set(name, reject);
          setTimeout(() => void Promise.resolve(callback({ name })).then(resolve), 0);
        }),
    };
    navigator.setLocks(stealable as unknown as LockManagerLike);
    const session = await open();
    await session.write({ put: [jsonBatch(0, 0, ['before'])] });
    holders.get(outboxLockName(DEFAULT_OUTBOX_DATABASE, 'compose'))?.(new DOMException('stolen', 'AbortError'));
    await sleep(0);
    const error = await session.write({ put: [jsonBatch(0, 1, ['after'])] }).catch((failure: unknown) => failure);
    expect(error).toBeInstanceOf(OutboxLockedError);
    expect((error as Error).message).toContain('took its Web Lock away');
  });

  it('waits for a write in progress before close() lets the outbox go', async () => {
    const session = await open();
    const written = session.write({ put: [jsonBatch(0, 0, ['kept'])] });
    await session.close();
    await written;
    expect((await reread('compose')).batches).toHaveLength(1);
  });

  it('turns a full storage quota into OutboxError write-failed, and leaves the outbox as it was', async () => {
    const session = await open();
    await session.write({ put: [jsonBatch(0, 0, ['kept'])] });
    const restore = failStoringBatches(storage.connections().at(-1)!, 'QuotaExceededError');
    const error = await session
      .write({ acknowledged: { epoch: 0, seq: 0 }, put: [jsonBatch(0, 1, ['lost'])] })
      .catch((failure: unknown) => failure);
    restore();
    expect(error).toBeInstanceOf(OutboxError);
    expect(error).toMatchObject({ reason: 'write-failed', code: 'OUTBOX_WRITE_FAILED' });
    expect((error as Error).message).toMatch(/storage quota is used up.*navigator\.storage\.persist/);
    // Atomic: the acknowledgement in the same change was not applied either.
    await session.close();
    expect((await reread('compose')).batches.map(({ seq }) => seq)).toEqual([0]);
  });

  it('opens the database again after the browser closed it (storage cleared, a crash of its process)', async () => {
    const session = await open();
    await session.write({ put: [jsonBatch(0, 0, ['before'])] });
    storage.forceClose(storage.connections().at(-1)!);
    await session.write({ put: [jsonBatch(0, 1, ['after'])] });
    await session.close();
    expect((await reread('compose')).batches.map(({ seq }) => seq)).toEqual([0, 1]);
  });

  it('lets another tab upgrade the database instead of blocking it; a later write fails with OutboxError', async () => {
    const session = await open();
    await session.write({ put: [jsonBatch(0, 0, ['before'])] });
    // A newer version of the app in another tab: it upgrades the database, which this page's connection does not block.
    const newer = await new Promise<IDBDatabase>((resolve, reject) => {
      const request = storage.factory().open(DEFAULT_OUTBOX_DATABASE, 2);
      request.onsuccess = () => resolve(request.result);
      request.onerror = () => reject(request.error ?? new Error('open failed'));
      request.onblocked = () => reject(new Error('blocked'));
    });
    const error = await session.write({ put: [jsonBatch(0, 1, ['after'])] }).catch((failure: unknown) => failure);
    newer.close();
    expectOutboxError(error, 'write-failed');
    expect((error as Error).message).toMatch(/could not be opened again.*a newer version of this app changed it/);
  });

  it('refuses to open a database of a newer version (OutboxError open-failed), and lets the lock go', async () => {
    await new Promise<void>((resolve, reject) => {
      const request = storage.factory().open(DEFAULT_OUTBOX_DATABASE, 3);
      request.onsuccess = () => (request.result.close(), resolve());
      request.onerror = () => reject(request.error ?? new Error('open failed'));
    });
    const error = await indexedDbOutbox('compose')
      .open()
      .catch((failure: unknown) => failure);
    expectOutboxError(error, 'open-failed');
    expect((error as Error).message).toContain('Reload the page');
    expect(locks.held.size).toBe(0);
  });

  it('refuses a database of the same name without the outbox stores (OutboxError open-failed)', async () => {
    await new Promise<void>((resolve, reject) => {
      const request = storage.factory().open('theirs', 1);
      request.onupgradeneeded = () => request.result.createObjectStore('things');
      request.onsuccess = () => (request.result.close(), resolve());
      request.onerror = () => reject(request.error ?? new Error('open failed'));
    });
    const error = await indexedDbOutbox('compose', { database: 'theirs' })
      .open()
      .catch((failure: unknown) => failure);
    expectOutboxError(error, 'open-failed');
    expect((error as Error).message).toContain('without the outbox stores');
  });

  it('reports a record it did not write as OutboxError damaged', async () => {
    const session = await open();
    await session.write({ put: [jsonBatch(0, 0, ['ok'])] });
    await session.close();
    const db = await connect(storage.factory(), DEFAULT_OUTBOX_DATABASE, () => undefined);
    await new Promise<void>((resolve, reject) => {
      const transaction = db.transaction('batches', 'readwrite');
      transaction.objectStore('batches').put({ outbox: 'compose', epoch: 0, seq: 1, body: 'not bytes' });
      transaction.oncomplete = () => resolve();
      transaction.onabort = () => reject(transaction.error ?? new Error('aborted'));
    });
    db.close();
    const error = await indexedDbOutbox('compose')
      .open()
      .catch((failure: unknown) => failure);
    expectOutboxError(error, 'damaged');
    expect(locks.held.size).toBe(0);
  });

  it('fails to open where there is no IndexedDB (a server render) with OutboxError open-failed; making one is fine', async () => {
    const globals = globalThis as { indexedDB?: IDBFactory };
    const outbox = indexedDbOutbox('compose');
    globals.indexedDB = undefined;
    const error = await outbox.open().catch((failure: unknown) => failure);
    expectOutboxError(error, 'open-failed');
    expect((error as Error).message).toContain('IndexedDB is not available here');
    expect(locks.held.size).toBe(0);
  });

  it('refuses a bad name or database at once', () => {
    expect(() => indexedDbOutbox('')).toThrow(/non-empty string/);
    expect(() => indexedDbOutbox('x', { database: '' })).toThrow(/options.database/);
  });
});

describe('connect(): an upgrade blocked by a tab that keeps an older version open', () => {
  it('fails with OutboxError open-failed naming the other tabs, and closes the connection should it come later', () => {
    const request = {} as IDBOpenDBRequest & { result: { close: jest.Mock } };
    const factory = { open: () => request } as unknown as IDBFactory;
    const opened = connect(factory, 'app', () => undefined);
    (request.onblocked as () => void)();
    Object.assign(request, { result: { close: jest.fn(), objectStoreNames: { contains: () => true } } });
    (request.onsuccess as () => void)();
    expect(request.result.close).toHaveBeenCalled();
    return expect(opened).rejects.toMatchObject({
      reason: 'open-failed',
      message: expect.stringContaining('Close the other tabs of this site') as unknown,
    });
  });
});

/**
 * Makes every batch IndexedDB stores through `db` fail as the browser fails
 * it when the storage quota is used up: the request errs, the transaction
 * aborts with that error. Returns what undoes it.
 */
function failStoringBatches(db: IDBDatabase, errorName: string): () => void {
  const store = db.transaction('batches', 'readonly').objectStore('batches') as unknown as {
    _rawObjectStore: object;
  };
  const raw = Object.getPrototypeOf(store._rawObjectStore) as { storeRecord: (...args: unknown[]) => unknown };
  const original = raw.storeRecord;
  raw.storeRecord = function (this: unknown, ...args: unknown[]) {
    // A put stores with noOverwrite false; an abort's rollback restores records with true, which must go through.
    if (args[1] === false) throw new DOMException('The quota has been exceeded', errorName);
    return original.apply(this, args);
  };
  return () => (raw.storeRecord = original);
}
