import { forceCloseDatabase, IDBFactory, IDBKeyRange } from 'fake-indexeddb';

/**
 * For a describe whose tests stand for a browser's storage: a fresh, empty
 * IndexedDB (fake-indexeddb, in memory) as `globalThis.indexedDB` for each
 * test, with `IDBKeyRange`; after the file, the globals are as before.
 * `connections` are the databases opened through it, for a test that lets
 * the browser close them (`forceClose`).
 */
export function fakeIndexedDbPerTest(): {
  readonly factory: () => IDBFactory;
  readonly connections: () => readonly IDBDatabase[];
  forceClose(db: IDBDatabase): void;
} {
  const globals = globalThis as { indexedDB?: IDBFactory; IDBKeyRange?: typeof IDBKeyRange };
  const before = { indexedDB: globals.indexedDB, IDBKeyRange: globals.IDBKeyRange };
  let factory: IDBFactory;
  let opened: IDBDatabase[] = [];
  beforeEach(() => {
    factory = new IDBFactory();
    opened = [];
    const open = factory.open.bind(factory);
    factory.open = (name: string, version?: number) => {
      const request = open(name, version);
      request.addEventListener('success', () => opened.push(request.result));
      return request;
    };
    globals.indexedDB = factory;
    globals.IDBKeyRange = IDBKeyRange;
  });
  afterAll(() => {
    globals.indexedDB = before.indexedDB;
    globals.IDBKeyRange = before.IDBKeyRange;
  });
  return {
    factory: () => factory,
    connections: () => opened,
    forceClose: (db) => forceCloseDatabase(db as never),
  };
}
