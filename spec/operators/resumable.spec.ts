import { firstValueFrom, Observable, of, take, throwError } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { InvalidArgumentError } from '../../lib/errors/client-errors';
import { CheckpointStorageError, type AsyncKeyValueStore } from '../../lib/operators/checkpoint-storage';
import { resumable, type BatchWithState } from '../../lib/operators/resumable';
import { Offset, type Checkpoint } from '../../lib/protocol/offset';
import { memoryStorage, virtualStore } from '../support/checkpoint-stores';

interface Batch {
  readonly items: readonly number[];
  readonly checkpoint: Checkpoint;
}

const KEY = 'feed';
const batch = (offset: string, ...items: number[]): Batch => ({ items, checkpoint: { offset, cursor: `c${offset}` } });
const a = batch('1', 1, 2);
const b = batch('2', 3);
const c = batch('3', 4, 5);
const stored = (value: Batch) => JSON.stringify(value.checkpoint);

/** The reads of a stream holding a, b, c: from the start, or after a saved batch. */
function streamOf(...batches: Batch[]) {
  const starts: Array<Checkpoint | undefined> = [];
  const read = (from: Checkpoint | undefined) => {
    starts.push(from);
    const after = batches.findIndex((value) => value.checkpoint.offset === from?.offset);
    return of(...batches.slice(after + 1));
  };
  return { read, starts };
}

describe('resumable', () => {
  it('starts the first read from nothing, and the next from the checkpoint the first one saved', () => {
    const storage = memoryStorage();
    const { read, starts } = streamOf(a, b, c);
    const firstRun: Batch[] = [];
    resumable(read, { storage, key: KEY })
      .pipe(take(2))
      .subscribe((value) => firstRun.push(value));
    const secondRun: Batch[] = [];
    resumable(read, { storage, key: KEY }).subscribe((value) => secondRun.push(value));
    expect(starts).toEqual([undefined, b.checkpoint]);
    expect(firstRun).toEqual([a, b]);
    expect(secondRun).toEqual([c]);
    expect(storage.data.get(KEY)).toBe(stored(c));
  });

  it('take(1) saves the batch it took: the next run starts right after it (issue #22: it was handed over twice)', async () => {
    const storage = memoryStorage();
    const { read } = streamOf(a, b, c);
    await expect(firstValueFrom(resumable(read, { storage, key: KEY }))).resolves.toBe(a);
    const next: Batch[] = [];
    resumable(read, { storage, key: KEY })
      .pipe(take(1))
      .subscribe((value) => next.push(value));
    expect(next).toEqual([b]);
    expect(storage.writes).toEqual([stored(a), stored(b)]);
  });

  it('take(1) with an async store: the write finishes after the subscriber left (virtual time)', () => {
    const ts = new TestScheduler((actual, expected) => expect(actual).toEqual(expected));
    const { store, finished } = virtualStore(ts, 3);
    ts.run(({ cold, expectObservable }) => {
      const read = () => cold('-a-b|', { a, b });
      expectObservable(resumable(read, { storage: store, key: KEY }).pipe(take(1))).toBe('-(a|)', { a });
    });
    expect(finished).toEqual([[4, stored(a)]]);
  });

  it('passes `from` to the first read when nothing is saved, as a checkpoint; a saved checkpoint wins over it', () => {
    const storage = memoryStorage();
    const { read, starts } = streamOf(a, b);
    resumable(read, { storage, key: KEY, from: Offset.now }).subscribe();
    resumable(read, { storage, key: KEY, from: Offset.now }).subscribe();
    resumable(read, { storage: memoryStorage(), key: KEY, from: a.checkpoint }).subscribe();
    expect(starts).toEqual([{ offset: 'now' }, b.checkpoint, a.checkpoint]);
  });

  it('is cold: neither storage nor read is touched before subscribe, and unsubscribing stops the read', () => {
    const storage = memoryStorage({ [KEY]: stored(a) });
    const torndown: string[] = [];
    const read = jest.fn((_from: Checkpoint | undefined) => new Observable<Batch>(() => () => torndown.push('read')));
    const result = resumable(read, { storage, key: KEY });
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
    resumable(read, { storage: memoryStorage({ [KEY]: 'nope' }), key: KEY }).subscribe({
      error: (error: unknown) => errors.push(error),
    });
    expect(errors[0]).toBeInstanceOf(CheckpointStorageError);
    expect(read).not.toHaveBeenCalled();
  });

  it('passes a read error on, keeping the checkpoint of the last batch handed over', () => {
    const storage = memoryStorage();
    const failure = new Error('gone');
    const errors: unknown[] = [];
    resumable(() => new Observable<Batch>((s) => (s.next(a), s.error(failure))), { storage, key: KEY })
      .pipe(take(5))
      .subscribe({ error: (error: unknown) => errors.push(error) });
    expect(errors).toEqual([failure]);
    expect(storage.data.get(KEY)).toBe(stored(a));
  });

  it('with an async store, waits for the stored checkpoint before reading', async () => {
    let release: (value: string) => void = () => undefined;
    const store: AsyncKeyValueStore = {
      get: () => new Promise<string>((resolve) => (release = resolve)),
      set: () => Promise.resolve(),
    };
    const read = jest.fn((_from: Checkpoint | undefined) => throwError(() => new Error('stop')));
    const done = new Promise((resolve) => resumable(read, { storage: store, key: KEY }).subscribe({ error: resolve }));
    await Promise.resolve();
    expect(read).not.toHaveBeenCalled();
    release(stored(c));
    await done;
    expect(read).toHaveBeenCalledWith(c.checkpoint);
  });

  it.each<[string, () => unknown]>([
    ['no read function', () => resumable(undefined as never, { storage: memoryStorage(), key: KEY })],
    ['no options', () => resumable(() => of(a), undefined as never)],
    ['a storage that is none', () => resumable(() => of(a), { storage: {} as never, key: KEY })],
    ['an empty key', () => resumable(() => of(a), { storage: memoryStorage(), key: '' })],
    [
      'a from that is no position',
      () => resumable(() => of(a), { storage: memoryStorage(), key: KEY, from: 7 as never }),
    ],
    [
      'a state without reduce',
      () => resumable(() => of(a), { storage: memoryStorage(), key: KEY, state: { initial: 0 } as never }),
    ],
  ])('rejects %s with InvalidArgumentError at the call', (_what, call) => {
    expect(call).toThrow(InvalidArgumentError);
  });
});

describe('resumable with the app state kept beside the checkpoint', () => {
  interface Totals {
    readonly count: number;
    readonly sum: number;
  }
  const state = {
    initial: { count: 0, sum: 0 } as Totals,
    reduce: (totals: Totals, value: Batch): Totals => ({
      count: totals.count + value.items.length,
      sum: totals.sum + value.items.reduce((x, y) => x + y, 0),
    }),
  };
  const record = (value: Batch, totals: Totals) => JSON.stringify({ ...value.checkpoint, state: totals });

  it('emits each batch with the state after it, and saves both in one write under one key', () => {
    const storage = memoryStorage();
    const { read } = streamOf(a, b);
    const seen: Array<BatchWithState<Batch, Totals>> = [];
    resumable(read, { storage, key: KEY, state }).subscribe((value) => seen.push(value));
    expect(seen).toEqual([
      { batch: a, state: { count: 2, sum: 3 }, checkpoint: a.checkpoint },
      { batch: b, state: { count: 3, sum: 6 }, checkpoint: b.checkpoint },
    ]);
    expect(storage.writes).toEqual([record(a, { count: 2, sum: 3 }), record(b, { count: 3, sum: 6 })]);
  });

  it('loads the saved state back with the checkpoint, and folds on from there', () => {
    const storage = memoryStorage();
    const { read, starts } = streamOf(a, b, c);
    resumable(read, { storage, key: KEY, state }).pipe(take(1)).subscribe();
    const second: Totals[] = [];
    resumable(read, { storage, key: KEY, state }).subscribe(({ state: totals }) => second.push(totals));
    expect(starts).toEqual([undefined, a.checkpoint]);
    expect(second).toEqual([
      { count: 3, sum: 6 },
      { count: 5, sum: 15 },
    ]);
    expect(storage.data.get(KEY)).toBe(record(c, { count: 5, sum: 15 }));
  });

  it('a failed save leaves state and position as they were together: a crash cannot split them', () => {
    const storage = memoryStorage();
    const setItem = storage.setItem.bind(storage);
    storage.setItem = (key, value) => {
      if (value.includes('"offset":"2"')) throw new Error('QuotaExceededError');
      setItem(key, value);
    };
    const { read } = streamOf(a, b, c);
    const errors: unknown[] = [];
    resumable(read, { storage, key: KEY, state }).subscribe({ error: (error: unknown) => errors.push(error) });
    expect(errors[0]).toBeInstanceOf(CheckpointStorageError);
    expect(storage.data.get(KEY)).toBe(record(a, { count: 2, sum: 3 }));
  });

  it('refuses to guess the state of a checkpoint saved without one', () => {
    const read = jest.fn(() => of(b));
    const errors: unknown[] = [];
    resumable(read, { storage: memoryStorage({ [KEY]: stored(a) }), key: KEY, state }).subscribe({
      error: (error: unknown) => errors.push(error),
    });
    expect(errors[0]).toBeInstanceOf(CheckpointStorageError);
    expect((errors[0] as CheckpointStorageError).message).toContain('without a state');
    expect(read).not.toHaveBeenCalled();
  });

  it('a resumable read without state reads a record saved with one (the state is left alone)', () => {
    const storage = memoryStorage({ [KEY]: record(a, { count: 2, sum: 3 }) });
    const { read, starts } = streamOf(a, b);
    resumable(read, { storage, key: KEY }).subscribe();
    expect(starts).toEqual([a.checkpoint]);
  });

  it('fails with CheckpointStorageError when the state is not JSON, and saves nothing', () => {
    const storage = memoryStorage();
    const errors: unknown[] = [];
    resumable(streamOf(a).read, {
      storage,
      key: KEY,
      state: { initial: undefined, reduce: () => undefined },
    }).subscribe({ error: (error: unknown) => errors.push(error) });
    expect(errors[0]).toBeInstanceOf(CheckpointStorageError);
    expect((errors[0] as CheckpointStorageError).operation).toBe('save');
    expect(storage.writes).toEqual([]);
  });

  it('a reducer that throws ends the read with its error, before the batch is handed over or saved', () => {
    const storage = memoryStorage();
    const failure = new Error('bad order');
    const seen: unknown[] = [];
    const errors: unknown[] = [];
    resumable(streamOf(a, b).read, {
      storage,
      key: KEY,
      state: {
        initial: 0,
        reduce: (sum: number, value: Batch) => {
          if (value === b) throw failure;
          return sum + 1;
        },
      },
    }).subscribe({ next: (value) => seen.push(value.batch), error: (error: unknown) => errors.push(error) });
    expect(seen).toEqual([a]);
    expect(errors).toEqual([failure]);
    expect(storage.writes).toEqual([JSON.stringify({ ...a.checkpoint, state: 1 })]);
  });
});
