import { firstValueFrom, map, Observable, of, Subject, take, type Subscription } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { InvalidArgumentError } from '../../lib/errors/client-errors';
import {
  CheckpointStorageError,
  loadCheckpoint,
  type AsyncKeyValueStore,
  type CheckpointStorage,
  type SyncKeyValueStorage,
} from '../../lib/operators/checkpoint-storage';
import { persistCheckpoint, type PersistCheckpointOptions } from '../../lib/operators/persist-checkpoint';
import type { Checkpoint } from '../../lib/protocol/offset';
import { memoryStorage, virtualStore } from '../support/checkpoint-stores';

interface Batch {
  readonly items: readonly string[];
  readonly checkpoint: Checkpoint;
}

const KEY = 'feed';
const batch = (offset: string, ...items: string[]): Batch => ({ items, checkpoint: { offset, cursor: `c${offset}` } });
const a = batch('1', 'x');
const b = batch('2', 'y');
const c = batch('3', 'z');
const d = batch('4', 'w');
const stored = (value: Batch) => JSON.stringify(value.checkpoint);
const persist = (storage: CheckpointStorage, options: Partial<PersistCheckpointOptions> = {}) =>
  persistCheckpoint<Batch>({ storage, key: KEY, ...options });

function scheduler(): TestScheduler {
  return new TestScheduler((actual, expected) => expect(actual).toEqual(expected));
}

describe('persistCheckpoint with a synchronous storage (localStorage)', () => {
  it('passes every batch on unchanged and stores the checkpoint of each, in order', () => {
    const storage = memoryStorage();
    scheduler().run(({ cold, expectObservable }) => {
      expectObservable(cold('-a-b-c|', { a, b, c }).pipe(persist(storage))).toBe('-a-b-c|', { a, b, c });
    });
    expect(storage.writes).toEqual([stored(a), stored(b), stored(c)]);
    expect(storage.data.get(KEY)).toBe(stored(c));
  });

  it('writes a checkpoint only after everything downstream has handled its batch, in the same task', () => {
    const storage = memoryStorage();
    const seenDuringProcessing: Array<string | null> = [];
    of(a, b)
      .pipe(persist(storage))
      .subscribe(() => seenDuringProcessing.push(storage.data.get(KEY) ?? null));
    // While batch b was handled, the storage still said "resume at a's checkpoint".
    expect(seenDuringProcessing).toEqual([null, stored(a)]);
    expect(storage.data.get(KEY)).toBe(stored(b));
  });

  it('does not write the same checkpoint twice (empty up-to-date batches)', () => {
    const storage = memoryStorage();
    const again = { items: [], checkpoint: { ...a.checkpoint } };
    of(a, again, b).pipe(persist(storage)).subscribe();
    expect(storage.writes).toEqual([stored(a), stored(b)]);
  });

  it('saves the checkpoint of the batch a subscriber leaves on (take(1)), and reads no further', () => {
    const storage = memoryStorage();
    scheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
      const source = cold('-a-b-c|', { a, b, c });
      expectObservable(source.pipe(persist(storage), take(1))).toBe('-(a|)', { a });
      expectSubscriptions(source.subscriptions).toBe('^!');
    });
    expect(storage.writes).toEqual([stored(a)]);
  });

  it('saves the checkpoint of the batch firstValueFrom resolves with', async () => {
    const storage = memoryStorage();
    await expect(firstValueFrom(of(a, b).pipe(persist(storage)))).resolves.toBe(a);
    expect(storage.writes).toEqual([stored(a)]);
  });

  it('saves the checkpoint of the batch whose handler unsubscribes, and none after it', () => {
    const storage = memoryStorage();
    const source = new Subject<Batch>();
    const handled: Batch[] = [];
    const subscription: Subscription = source.pipe(persist(storage)).subscribe((value) => {
      handled.push(value);
      if (value === b) subscription.unsubscribe();
    });
    source.next(a);
    source.next(b);
    source.next(c);
    expect(handled).toEqual([a, b]);
    expect(storage.writes).toEqual([stored(a), stored(b)]);
    expect(source.observed).toBe(false);
  });

  it('counts a batch an operator downstream failed on as delivered: its checkpoint is saved', () => {
    const storage = memoryStorage();
    const errors: unknown[] = [];
    of(a, b, c)
      .pipe(
        persist(storage),
        map((value) => {
          if (value === b) throw new Error('render failed');
          return value;
        }),
      )
      .subscribe({ error: (error: unknown) => errors.push(error) });
    expect(errors).toHaveLength(1);
    expect(storage.writes).toEqual([stored(a), stored(b)]);
  });

  it('fails with CheckpointStorageError when a write throws (quota), and stops reading', () => {
    const storage = memoryStorage();
    storage.setItem = (_key, value) => {
      if (value === stored(b)) throw new Error('QuotaExceededError');
    };
    scheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
      const source = cold('-a-b-c|', { a, b, c });
      const error = new CheckpointStorageError('save', KEY, 'QuotaExceededError');
      expectObservable(source.pipe(persist(storage))).toBe('-a-(b#)', { a, b }, error);
      expectSubscriptions(source.subscriptions).toBe('^--!');
    });
  });

  it('with onSaveError, reports a failed write and goes on', () => {
    const storage = memoryStorage();
    storage.setItem = (key, value) => {
      if (value === stored(b)) throw new Error('QuotaExceededError');
      storage.data.set(key, value);
    };
    const reported: CheckpointStorageError[] = [];
    scheduler().run(({ cold, expectObservable }) => {
      const result = cold('-a-b-c|', { a, b, c }).pipe(
        persist(storage, { onSaveError: (error) => reported.push(error) }),
      );
      expectObservable(result).toBe('-a-b-c|', { a, b, c });
    });
    expect(reported.map((error) => [error.code, error.operation, error.key])).toEqual([
      ['CHECKPOINT_STORAGE', 'save', KEY],
    ]);
    expect(reported[0].message).toContain('QuotaExceededError');
    expect(storage.data.get(KEY)).toBe(stored(c));
  });

  it('rejects a value without checkpoint with InvalidArgumentError', () => {
    const storage = memoryStorage();
    const errors: unknown[] = [];
    (of({ items: [] }) as unknown as Observable<Batch>)
      .pipe(persist(storage))
      .subscribe({ error: (e: unknown) => errors.push(e) });
    expect(errors[0]).toBeInstanceOf(InvalidArgumentError);
    expect(storage.writes).toEqual([]);
  });

  it('rejects a storage without getItem/setItem or get/set, an empty key, and no options, at once', () => {
    expect(() => persistCheckpoint({ storage: {} as SyncKeyValueStorage, key: KEY })).toThrow(InvalidArgumentError);
    expect(() => persistCheckpoint({ storage: memoryStorage(), key: '' })).toThrow(InvalidArgumentError);
    expect(() => persistCheckpoint(undefined as never)).toThrow(InvalidArgumentError);
  });
});

describe('persistCheckpoint with an asynchronous store (virtual time)', () => {
  it('writes one at a time; batches arriving during a write collapse into the newest (bounded, never reordered)', () => {
    const ts = scheduler();
    const { store, started, finished } = virtualStore(ts, 5);
    ts.run(({ cold, expectObservable }) => {
      expectObservable(cold('abcd|', { a, b, c, d }).pipe(persist(store))).toBe('abcd------|', {
        a,
        b,
        c,
        d,
      });
    });
    // a written 0-5; b, c and d arrived meanwhile: only d is written, right after a.
    expect(started).toEqual([
      [0, stored(a)],
      [5, stored(d)],
    ]);
    expect(finished).toEqual([
      [5, stored(a)],
      [10, stored(d)],
    ]);
  });

  it('completes only once the last checkpoint is written', () => {
    const ts = scheduler();
    const { store, data } = virtualStore(ts, 3);
    ts.run(({ cold, expectObservable }) => {
      expectObservable(cold('a|', { a }).pipe(persist(store))).toBe('a--|', { a });
    });
    expect(data.get(KEY)).toBe(stored(a));
  });

  it('passes a source error on after the queued write', () => {
    const ts = scheduler();
    const { store, started } = virtualStore(ts, 4);
    const failure = new Error('network down');
    ts.run(({ cold, expectObservable }) => {
      expectObservable(cold('ab#', { a, b }, failure).pipe(persist(store))).toBe('ab------#', { a, b }, failure);
    });
    expect(started.map(([, value]) => value)).toEqual([stored(a), stored(b)]);
  });

  it('on unsubscribe, the running write finishes and the newest batch handed over is written after it', () => {
    const ts = scheduler();
    const { store, started, finished } = virtualStore(ts, 5);
    ts.run(({ cold, expectObservable, expectSubscriptions }) => {
      const source = cold('abc---', { a, b, c });
      expectObservable(source.pipe(persist(store)), '---!').toBe('abc', { a, b, c });
      expectSubscriptions(source.subscriptions).toBe('^--!');
    });
    expect(started).toEqual([
      [0, stored(a)],
      [5, stored(c)],
    ]);
    expect(finished).toEqual([
      [5, stored(a)],
      [10, stored(c)],
    ]);
  });

  it('take(1): the batch is handed over at once, its checkpoint written after the subscriber left', () => {
    const ts = scheduler();
    const { store, started, finished } = virtualStore(ts, 4);
    ts.run(({ cold, expectObservable, expectSubscriptions }) => {
      const source = cold('--a-b|', { a, b });
      expectObservable(source.pipe(persist(store), take(1))).toBe('--(a|)', { a });
      expectSubscriptions(source.subscriptions).toBe('^-!');
    });
    expect(started).toEqual([[2, stored(a)]]);
    expect(finished).toEqual([[6, stored(a)]]);
  });

  it('a write that fails after the subscriber left goes to onSaveError; without it, nothing is thrown', () => {
    const ts = scheduler();
    const { store, finished } = virtualStore(ts, 3, stored(a));
    const reported: CheckpointStorageError[] = [];
    ts.run(({ cold, expectObservable }) => {
      const source = cold('a-b|', { a, b });
      expectObservable(source.pipe(persist(store, { onSaveError: (error) => reported.push(error) }), take(1))).toBe(
        '(a|)',
        { a },
      );
      expectObservable(source.pipe(persist(store), take(1))).toBe('(a|)', { a });
    });
    expect(reported.map((error) => [error.operation, error.key])).toEqual([['save', KEY]]);
    expect(finished).toEqual([]);
  });

  it('fails with CheckpointStorageError when a write is rejected', () => {
    const ts = scheduler();
    const { store } = virtualStore(ts, 2, stored(a));
    ts.run(({ cold, expectObservable, expectSubscriptions }) => {
      const source = cold('a-----|', { a });
      expectObservable(source.pipe(persist(store))).toBe(
        'a-#',
        { a },
        new CheckpointStorageError('save', KEY, 'disk full'),
      );
      expectSubscriptions(source.subscriptions).toBe('^-!');
    });
  });
});

describe('loadCheckpoint', () => {
  it('is cold: reads the storage on subscribe, anew each time', async () => {
    const storage = memoryStorage({ [KEY]: stored(b) });
    const checkpoint$ = loadCheckpoint({ storage, key: KEY });
    expect(storage.reads).toBe(0);
    await expect(new Promise((resolve) => checkpoint$.subscribe(resolve))).resolves.toEqual(b.checkpoint);
    storage.data.set(KEY, stored(c));
    await expect(new Promise((resolve) => checkpoint$.subscribe(resolve))).resolves.toEqual(c.checkpoint);
    expect(storage.reads).toBe(2);
  });

  it('emits undefined when nothing is stored', () => {
    const values: unknown[] = [];
    loadCheckpoint({ storage: memoryStorage(), key: KEY }).subscribe((value) => values.push(value));
    expect(values).toEqual([undefined]);
  });

  it('reads an async store', async () => {
    const store: AsyncKeyValueStore = {
      get: () => Promise.resolve(JSON.stringify({ offset: '0_5' })),
      set: () => Promise.resolve(),
    };
    await expect(
      new Promise((resolve) => loadCheckpoint({ storage: store, key: KEY }).subscribe(resolve)),
    ).resolves.toEqual({
      offset: '0_5',
    });
  });

  it.each([
    ['not JSON', '{offset'],
    ['not an object', '"0_5"'],
    ['without offset', '{"cursor":"x"}'],
    ['with an empty offset', '{"offset":""}'],
    ['with a non-string cursor', '{"offset":"0_5","cursor":7}'],
  ])('errors with CheckpointStorageError for a stored value %s', (_what, raw) => {
    const errors: unknown[] = [];
    loadCheckpoint({ storage: memoryStorage({ [KEY]: raw }), key: KEY }).subscribe({
      error: (error: unknown) => errors.push(error),
    });
    expect(errors[0]).toBeInstanceOf(CheckpointStorageError);
    expect((errors[0] as CheckpointStorageError).operation).toBe('load');
  });

  it('wraps a failing async get in CheckpointStorageError', async () => {
    const store: AsyncKeyValueStore = {
      get: () => Promise.reject(new Error('IDB closed')),
      set: () => Promise.resolve(),
    };
    const error = await new Promise((resolve) =>
      loadCheckpoint({ storage: store, key: KEY }).subscribe({ error: resolve }),
    );
    expect(error).toBeInstanceOf(CheckpointStorageError);
    expect((error as Error).message).toContain('IDB closed');
  });
});
