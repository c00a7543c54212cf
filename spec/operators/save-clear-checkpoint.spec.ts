import { firstValueFrom, lastValueFrom, toArray } from 'rxjs';
import { InvalidArgumentError } from '../../lib/errors/client-errors';
import {
  CheckpointStorageError,
  clearCheckpoint,
  loadCheckpoint,
  saveCheckpoint,
  type AsyncKeyValueStore,
  type CheckpointStorage,
  type SyncKeyValueStorage,
} from '../../lib/operators/checkpoint-storage';
import { memoryStorage as recordingStorage, settledStore } from '../support/checkpoint-stores';

const memoryStorage = (withRemove: boolean) => recordingStorage({}, withRemove);
const asyncStore = settledStore;

const KEY = 'feed';
const CHECKPOINT = { offset: '0_7', cursor: 'c7' };

const where = (storage: CheckpointStorage) => ({ storage, key: KEY });

describe('saveCheckpoint', () => {
  it('is cold: writes on subscribe, anew on each subscription, and emits once when written', async () => {
    const storage = memoryStorage(false);
    const save$ = saveCheckpoint(CHECKPOINT, where(storage));
    expect(storage.calls).toEqual([]);
    expect(await lastValueFrom(save$.pipe(toArray()))).toEqual([undefined]);
    await firstValueFrom(save$);
    expect(storage.calls).toEqual([`set ${JSON.stringify(CHECKPOINT)}`, `set ${JSON.stringify(CHECKPOINT)}`]);
    expect(await firstValueFrom(loadCheckpoint(where(storage)))).toEqual(CHECKPOINT);
  });

  it('emits only once an async store has written', async () => {
    const store = asyncStore(false);
    let done = false;
    saveCheckpoint({ offset: '0_1' }, where(store)).subscribe({ complete: () => (done = true) });
    await Promise.resolve();
    expect(done).toBe(false);
    store.settle();
    await new Promise(setImmediate);
    expect(done).toBe(true);
    expect(store.data.get(KEY)).toBe('{"offset":"0_1"}');
  });

  it('fails with CheckpointStorageError (operation save) when the storage throws or rejects', async () => {
    const throwing: SyncKeyValueStorage = {
      getItem: () => null,
      setItem: () => {
        throw new Error('QuotaExceededError');
      },
    };
    const rejecting: AsyncKeyValueStore = {
      get: () => Promise.resolve(undefined),
      set: () => Promise.reject(new Error('IDB closed')),
    };
    for (const storage of [throwing, rejecting]) {
      const error = await firstValueFrom(saveCheckpoint(CHECKPOINT, where(storage))).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(CheckpointStorageError);
      expect(error).toMatchObject({ operation: 'save', key: KEY });
    }
  });

  it('refuses a storage that is not one, an empty key, and a checkpoint that is none, at once', () => {
    expect(() => saveCheckpoint(CHECKPOINT, where({} as SyncKeyValueStorage))).toThrow(InvalidArgumentError);
    expect(() => saveCheckpoint(CHECKPOINT, { storage: memoryStorage(false), key: '' })).toThrow(InvalidArgumentError);
    expect(() => saveCheckpoint({ offset: '' }, where(memoryStorage(false)))).toThrow(InvalidArgumentError);
    expect(() => saveCheckpoint(undefined as never, where(memoryStorage(false)))).toThrow(InvalidArgumentError);
    expect(() => loadCheckpoint(undefined as never)).toThrow(InvalidArgumentError);
    expect(() => clearCheckpoint({ key: KEY } as never)).toThrow(InvalidArgumentError);
  });
});

describe('clearCheckpoint', () => {
  it('uses removeItem when the storage has it, and is cold', async () => {
    const storage = memoryStorage(true);
    await firstValueFrom(saveCheckpoint(CHECKPOINT, where(storage)));
    const clear$ = clearCheckpoint(where(storage));
    expect(storage.data.has(KEY)).toBe(true);
    await firstValueFrom(clear$);
    expect(storage.calls.at(-1)).toBe('remove');
    expect(storage.data.has(KEY)).toBe(false);
    expect(await firstValueFrom(loadCheckpoint(where(storage)))).toBeUndefined();
  });

  it('without removeItem, writes an empty value, which loads as none', async () => {
    const storage = memoryStorage(false);
    await firstValueFrom(saveCheckpoint(CHECKPOINT, where(storage)));
    await firstValueFrom(clearCheckpoint(where(storage)));
    expect(storage.data.get(KEY)).toBe('');
    expect(await firstValueFrom(loadCheckpoint(where(storage)))).toBeUndefined();
  });

  it.each([
    ['with delete', true],
    ['without delete', false],
  ])('clears an async store %s, emitting once it is done', async (_what, withDelete) => {
    const store = asyncStore(withDelete);
    store.data.set(KEY, JSON.stringify(CHECKPOINT));
    let done = false;
    clearCheckpoint(where(store)).subscribe({ complete: () => (done = true) });
    await Promise.resolve();
    expect(done).toBe(false);
    store.settle();
    await new Promise(setImmediate);
    expect(done).toBe(true);
    expect(await firstValueFrom(loadCheckpoint(where(store)))).toBeUndefined();
  });

  it('fails with CheckpointStorageError (operation clear) when the storage throws', async () => {
    const storage: SyncKeyValueStorage = {
      getItem: () => null,
      setItem: () => undefined,
      removeItem: () => {
        throw new Error('SecurityError');
      },
    };
    const error = await firstValueFrom(clearCheckpoint(where(storage))).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CheckpointStorageError);
    expect(error).toMatchObject({ operation: 'clear', key: KEY });
    expect((error as Error).message).toContain('SecurityError');
  });
});
