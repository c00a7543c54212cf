import { map, Observable, of, take, throwError } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { InvalidArgumentError } from '../../lib/errors/client-errors';
import {
  CheckpointStorageError,
  loadCheckpoint,
  type AsyncKeyValueStore,
  type SyncKeyValueStorage,
} from '../../lib/operators/checkpoint-storage';
import { persistCheckpoint } from '../../lib/operators/persist-checkpoint';
import { resumable } from '../../lib/operators/resumable';
import type { Checkpoint } from '../../lib/protocol/offset';

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

/** localStorage in memory, recording every write. */
function memoryStorage(
  initial: Record<string, string> = {},
): SyncKeyValueStorage & { data: Map<string, string>; writes: string[]; reads: number } {
  const data = new Map(Object.entries(initial));
  const storage = {
    data,
    writes: [] as string[],
    reads: 0,
    getItem: (key: string) => {
      storage.reads++;
      return data.get(key) ?? null;
    },
    setItem: (key: string, value: string) => {
      storage.writes.push(value);
      data.set(key, value);
    },
  };
  return storage;
}

/**
 * An async store whose writes take `writeFrames` of virtual time: `set`
 * returns a thenable settled by the TestScheduler, so marbles see the writes.
 */
function virtualStore(ts: TestScheduler, writeFrames: number, failOn?: string) {
  const data = new Map<string, string>();
  const started: Array<readonly [frame: number, value: string]> = [];
  const finished: Array<readonly [frame: number, value: string]> = [];
  const store: AsyncKeyValueStore = {
    get: (key) => ({ then: (ok) => ok?.(data.get(key)) as never }),
    set: (key, value) => {
      started.push([ts.now(), value]);
      return {
        then: (ok, fail) => {
          ts.schedule(() => {
            if (value === failOn) {
              fail?.(new Error('disk full'));
              return;
            }
            data.set(key, value);
            finished.push([ts.now(), value]);
            ok?.();
          }, writeFrames);
          return undefined as never;
        },
      };
    },
  };
  return { store, data, started, finished };
}

function scheduler(): TestScheduler {
  return new TestScheduler((actual, expected) => expect(actual).toEqual(expected));
}

describe('persistCheckpoint with a synchronous storage (localStorage)', () => {
  it('passes every batch on unchanged and stores the checkpoint of each, in order', () => {
    const storage = memoryStorage();
    scheduler().run(({ cold, expectObservable }) => {
      expectObservable(cold('-a-b-c|', { a, b, c }).pipe(persistCheckpoint(storage, KEY))).toBe('-a-b-c|', { a, b, c });
    });
    expect(storage.writes).toEqual([stored(a), stored(b), stored(c)]);
    expect(storage.data.get(KEY)).toBe(stored(c));
  });

  it('writes a checkpoint only after everything downstream has handled its batch, in the same task', () => {
    const storage = memoryStorage();
    const seenDuringProcessing: Array<string | null> = [];
    of(a, b)
      .pipe(persistCheckpoint(storage, KEY))
      .subscribe(() => seenDuringProcessing.push(storage.data.get(KEY) ?? null));
    // While batch b was handled, the storage still said "resume at a's checkpoint".
    expect(seenDuringProcessing).toEqual([null, stored(a)]);
    expect(storage.data.get(KEY)).toBe(stored(b));
  });

  it('does not write the same checkpoint twice (empty up-to-date batches)', () => {
    const storage = memoryStorage();
    const again = { items: [], checkpoint: { ...a.checkpoint } };
    of(a, again, b).pipe(persistCheckpoint(storage, KEY)).subscribe();
    expect(storage.writes).toEqual([stored(a), stored(b)]);
  });

  it('does not save a batch whose handling failed downstream: it is read again on resume', () => {
    const storage = memoryStorage();
    const errors: unknown[] = [];
    of(a, b)
      .pipe(
        persistCheckpoint(storage, KEY),
        map((value) => {
          if (value === b) throw new Error('render failed');
          return value;
        }),
      )
      .subscribe({ error: (error: unknown) => errors.push(error) });
    expect(errors).toHaveLength(1);
    expect(storage.data.get(KEY)).toBe(stored(a));
  });

  it('fails with CheckpointStorageError when a write throws (quota), and stops reading', () => {
    const storage = memoryStorage();
    storage.setItem = (_key, value) => {
      if (value === stored(b)) throw new Error('QuotaExceededError');
    };
    scheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
      const source = cold('-a-b-c|', { a, b, c });
      const error = new CheckpointStorageError('save', KEY, 'QuotaExceededError');
      expectObservable(source.pipe(persistCheckpoint(storage, KEY))).toBe('-a-(b#)', { a, b }, error);
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
        persistCheckpoint(storage, KEY, { onSaveError: (error) => reported.push(error) }),
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
      .pipe(persistCheckpoint(storage, KEY))
      .subscribe({ error: (e: unknown) => errors.push(e) });
    expect(errors[0]).toBeInstanceOf(InvalidArgumentError);
    expect(storage.writes).toEqual([]);
  });

  it('rejects a storage without getItem/setItem or get/set, and an empty key, at once', () => {
    expect(() => persistCheckpoint({} as SyncKeyValueStorage, KEY)).toThrow(InvalidArgumentError);
    expect(() => persistCheckpoint(memoryStorage(), '')).toThrow(InvalidArgumentError);
  });
});

describe('persistCheckpoint with an asynchronous store (virtual time)', () => {
  it('writes one at a time; batches arriving during a write collapse into the newest (bounded, never reordered)', () => {
    const ts = scheduler();
    const { store, started, finished } = virtualStore(ts, 5);
    ts.run(({ cold, expectObservable }) => {
      expectObservable(cold('abcd|', { a, b, c, d }).pipe(persistCheckpoint(store, KEY))).toBe('abcd------|', {
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
      expectObservable(cold('a|', { a }).pipe(persistCheckpoint(store, KEY))).toBe('a--|', { a });
    });
    expect(data.get(KEY)).toBe(stored(a));
  });

  it('passes a source error on after the queued write', () => {
    const ts = scheduler();
    const { store, started } = virtualStore(ts, 4);
    const failure = new Error('network down');
    ts.run(({ cold, expectObservable }) => {
      expectObservable(cold('ab#', { a, b }, failure).pipe(persistCheckpoint(store, KEY))).toBe(
        'ab------#',
        { a, b },
        failure,
      );
    });
    expect(started.map(([, value]) => value)).toEqual([stored(a), stored(b)]);
  });

  it('on unsubscribe, drops the queued write and lets the running one finish', () => {
    const ts = scheduler();
    const { store, started, finished } = virtualStore(ts, 5);
    ts.run(({ cold, expectObservable, expectSubscriptions }) => {
      const source = cold('abc---', { a, b, c });
      expectObservable(source.pipe(persistCheckpoint(store, KEY)), '---!').toBe('abc', { a, b, c });
      expectSubscriptions(source.subscriptions).toBe('^--!');
    });
    expect(started).toEqual([[0, stored(a)]]);
    expect(finished).toEqual([[5, stored(a)]]);
  });

  it('fails with CheckpointStorageError when a write is rejected', () => {
    const ts = scheduler();
    const { store } = virtualStore(ts, 2, stored(a));
    ts.run(({ cold, expectObservable, expectSubscriptions }) => {
      const source = cold('a-----|', { a });
      expectObservable(source.pipe(persistCheckpoint(store, KEY))).toBe(
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
    const checkpoint$ = loadCheckpoint(storage, KEY);
    expect(storage.reads).toBe(0);
    await expect(new Promise((resolve) => checkpoint$.subscribe(resolve))).resolves.toEqual(b.checkpoint);
    storage.data.set(KEY, stored(c));
    await expect(new Promise((resolve) => checkpoint$.subscribe(resolve))).resolves.toEqual(c.checkpoint);
    expect(storage.reads).toBe(2);
  });

  it('emits undefined when nothing is stored', async () => {
    const values: unknown[] = [];
    loadCheckpoint(memoryStorage(), KEY).subscribe((value) => values.push(value));
    expect(values).toEqual([undefined]);
  });

  it('reads an async store', async () => {
    const store: AsyncKeyValueStore = {
      get: async () => JSON.stringify({ offset: '0_5' }),
      set: async () => undefined,
    };
    await expect(new Promise((resolve) => loadCheckpoint(store, KEY).subscribe(resolve))).resolves.toEqual({
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
    loadCheckpoint(memoryStorage({ [KEY]: raw }), KEY).subscribe({ error: (error: unknown) => errors.push(error) });
    expect(errors[0]).toBeInstanceOf(CheckpointStorageError);
    expect((errors[0] as CheckpointStorageError).operation).toBe('load');
  });

  it('wraps a failing async get in CheckpointStorageError', async () => {
    const store: AsyncKeyValueStore = {
      get: () => Promise.reject(new Error('IDB closed')),
      set: async () => undefined,
    };
    const error = await new Promise((resolve) => loadCheckpoint(store, KEY).subscribe({ error: resolve }));
    expect(error).toBeInstanceOf(CheckpointStorageError);
    expect((error as Error).message).toContain('IDB closed');
  });
});

describe('resumable', () => {
  it('starts the first read from nothing, and the next from the checkpoint the first one saved', () => {
    const storage = memoryStorage();
    const starts: Array<Checkpoint | undefined> = [];
    const read = (checkpoint: Checkpoint | undefined) => {
      starts.push(checkpoint);
      return checkpoint === undefined ? of(a, b) : of(c);
    };
    const firstRun: Batch[] = [];
    resumable(storage, KEY, read).subscribe((value) => firstRun.push(value));
    const secondRun: Batch[] = [];
    resumable(storage, KEY, read).subscribe((value) => secondRun.push(value));
    expect(starts).toEqual([undefined, b.checkpoint]);
    expect(firstRun).toEqual([a, b]);
    expect(secondRun).toEqual([c]);
    expect(storage.data.get(KEY)).toBe(stored(c));
  });

  it('is cold: neither storage nor read is touched before subscribe, and unsubscribing stops the read', () => {
    const storage = memoryStorage({ [KEY]: stored(a) });
    const read = jest.fn(
      (_checkpoint: Checkpoint | undefined) => new Observable<Batch>(() => () => torndown.push('read')),
    );
    const torndown: string[] = [];
    const result = resumable(storage, KEY, read);
    expect(storage.reads).toBe(0);
    expect(read).not.toHaveBeenCalled();
    const subscription = result.subscribe();
    expect(read).toHaveBeenCalledWith(a.checkpoint);
    subscription.unsubscribe();
    expect(torndown).toEqual(['read']);
  });

  it('passes a corrupt stored checkpoint on as an error, without reading', () => {
    const read = jest.fn(() => of(a));
    const errors: unknown[] = [];
    resumable(memoryStorage({ [KEY]: 'nope' }), KEY, read).subscribe({ error: (error: unknown) => errors.push(error) });
    expect(errors[0]).toBeInstanceOf(CheckpointStorageError);
    expect(read).not.toHaveBeenCalled();
  });

  it('passes a read error on, keeping the checkpoint of the last processed batch', () => {
    const storage = memoryStorage();
    const failure = new Error('gone');
    const errors: unknown[] = [];
    resumable(storage, KEY, () => new Observable<Batch>((s) => (s.next(a), s.error(failure))))
      .pipe(take(5))
      .subscribe({ error: (error: unknown) => errors.push(error) });
    expect(errors).toEqual([failure]);
    expect(storage.data.get(KEY)).toBe(stored(a));
  });

  it('with an async store, waits for the stored checkpoint before reading', async () => {
    let release: (value: string) => void = () => undefined;
    const store: AsyncKeyValueStore = {
      get: () => new Promise<string>((resolve) => (release = resolve)),
      set: async () => undefined,
    };
    const read = jest.fn((_checkpoint: Checkpoint | undefined) => throwError(() => new Error('stop')));
    const done = new Promise((resolve) => resumable(store, KEY, read).subscribe({ error: resolve }));
    await Promise.resolve();
    expect(read).not.toHaveBeenCalled();
    release(stored(d));
    await done;
    expect(read).toHaveBeenCalledWith(d.checkpoint);
  });
});
