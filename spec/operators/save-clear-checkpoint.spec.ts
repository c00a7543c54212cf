import { firstValueFrom, lastValueFrom, toArray } from 'rxjs';
import { InvalidArgumentError } from '../../lib/errors/client-errors';
import {
  CheckpointStorageError,
  clearCheckpoint,
  loadCheckpoint,
  saveCheckpoint,
  type AsyncKeyValueStore,
  type SyncKeyValueStorage,
} from '../../lib/operators/checkpoint-storage';

const KEY = 'feed';
const CHECKPOINT = { offset: '0_7', cursor: 'c7' };

/** localStorage in memory; `removeItem` only when asked for. */
function memoryStorage(withRemove: boolean): SyncKeyValueStorage & { data: Map<string, string>; calls: string[] } {
  const data = new Map<string, string>();
  const calls: string[] = [];
  return {
    data,
    calls,
    getItem: (key) => data.get(key) ?? null,
    setItem: (key, value) => {
      calls.push(`set ${value}`);
      data.set(key, value);
    },
    ...(withRemove
      ? {
          removeItem: (key: string) => {
            calls.push('remove');
            data.delete(key);
          },
        }
      : {}),
  };
}

/** An async store whose writes settle when the test says. */
function asyncStore(
  withDelete: boolean,
): AsyncKeyValueStore & { data: Map<string, string>; settle: () => void; pending: number } {
  const data = new Map<string, string>();
  const waiting: Array<() => void> = [];
  const later = (effect: () => void) => new Promise<void>((resolve) => waiting.push(() => (effect(), resolve())));
  const store = {
    data,
    get pending() {
      return waiting.length;
    },
    settle: () => waiting.splice(0).forEach((run) => run()),
    get: async (key: string) => data.get(key),
    set: (key: string, value: string) => later(() => data.set(key, value)),
    ...(withDelete ? { delete: (key: string) => later(() => data.delete(key)) } : {}),
  };
  return store;
}

describe('saveCheckpoint', () => {
  it('is cold: writes on subscribe, anew on each subscription, and emits once when written', async () => {
    const storage = memoryStorage(false);
    const save$ = saveCheckpoint(storage, KEY, CHECKPOINT);
    expect(storage.calls).toEqual([]);
    expect(await lastValueFrom(save$.pipe(toArray()))).toEqual([undefined]);
    await firstValueFrom(save$);
    expect(storage.calls).toEqual([`set ${JSON.stringify(CHECKPOINT)}`, `set ${JSON.stringify(CHECKPOINT)}`]);
    expect(await firstValueFrom(loadCheckpoint(storage, KEY))).toEqual(CHECKPOINT);
  });

  it('emits only once an async store has written', async () => {
    const store = asyncStore(false);
    let done = false;
    saveCheckpoint(store, KEY, { offset: '0_1' }).subscribe({ complete: () => (done = true) });
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
      get: async () => undefined,
      set: () => Promise.reject(new Error('IDB closed')),
    };
    for (const storage of [throwing, rejecting]) {
      const error = await firstValueFrom(saveCheckpoint(storage, KEY, CHECKPOINT)).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(CheckpointStorageError);
      expect(error).toMatchObject({ operation: 'save', key: KEY });
    }
  });

  it('refuses a storage that is not one, and an empty key, at once', () => {
    expect(() => saveCheckpoint({} as SyncKeyValueStorage, KEY, CHECKPOINT)).toThrow(InvalidArgumentError);
    expect(() => saveCheckpoint(memoryStorage(false), '', CHECKPOINT)).toThrow(InvalidArgumentError);
  });
});

describe('clearCheckpoint', () => {
  it('uses removeItem when the storage has it, and is cold', async () => {
    const storage = memoryStorage(true);
    await firstValueFrom(saveCheckpoint(storage, KEY, CHECKPOINT));
    const clear$ = clearCheckpoint(storage, KEY);
    expect(storage.data.has(KEY)).toBe(true);
    await firstValueFrom(clear$);
    expect(storage.calls.at(-1)).toBe('remove');
    expect(storage.data.has(KEY)).toBe(false);
    expect(await firstValueFrom(loadCheckpoint(storage, KEY))).toBeUndefined();
  });

  it('without removeItem, writes an empty value, which loads as none', async () => {
    const storage = memoryStorage(false);
    await firstValueFrom(saveCheckpoint(storage, KEY, CHECKPOINT));
    await firstValueFrom(clearCheckpoint(storage, KEY));
    expect(storage.data.get(KEY)).toBe('');
    expect(await firstValueFrom(loadCheckpoint(storage, KEY))).toBeUndefined();
  });

  it.each([
    ['with delete', true],
    ['without delete', false],
  ])('clears an async store %s, emitting once it is done', async (_what, withDelete) => {
    const store = asyncStore(withDelete);
    store.data.set(KEY, JSON.stringify(CHECKPOINT));
    let done = false;
    clearCheckpoint(store, KEY).subscribe({ complete: () => (done = true) });
    await Promise.resolve();
    expect(done).toBe(false);
    store.settle();
    await new Promise(setImmediate);
    expect(done).toBe(true);
    expect(await firstValueFrom(loadCheckpoint(store, KEY))).toBeUndefined();
  });

  it('fails with CheckpointStorageError (operation clear) when the storage throws', async () => {
    const storage: SyncKeyValueStorage = {
      getItem: () => null,
      setItem: () => undefined,
      removeItem: () => {
        throw new Error('SecurityError');
      },
    };
    const error = await firstValueFrom(clearCheckpoint(storage, KEY)).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CheckpointStorageError);
    expect(error).toMatchObject({ operation: 'clear', key: KEY });
    expect((error as Error).message).toContain('SecurityError');
  });
});
