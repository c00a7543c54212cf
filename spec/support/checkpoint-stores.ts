/**
 * Key-value stores for the checkpoint specs, in both shapes a checkpoint
 * storage may have: Web Storage (`getItem`/`setItem`) and async (`get`/`set`).
 */
import type { TestScheduler } from 'rxjs/testing';
import type { AsyncKeyValueStore, SyncKeyValueStorage } from '../../lib/operators/checkpoint-storage';

/** localStorage in memory, recording every write (and `remove` calls when it has `removeItem`). */
export type MemoryStorage = SyncKeyValueStorage & {
  readonly data: Map<string, string>;
  readonly writes: string[];
  readonly calls: string[];
  readonly reads: number;
};

export function memoryStorage(initial: Record<string, string> = {}, withRemove = false): MemoryStorage {
  const data = new Map(Object.entries(initial));
  const writes: string[] = [];
  const calls: string[] = [];
  let reads = 0;
  return {
    data,
    writes,
    calls,
    get reads() {
      return reads;
    },
    getItem: (key: string) => (reads++, data.get(key) ?? null),
    setItem: (key: string, value: string) => {
      writes.push(value);
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

/**
 * An async store whose writes take `writeFrames` of virtual time: `set`
 * returns a thenable settled by the TestScheduler, so marbles see the
 * writes. A write of `failOn` is rejected.
 */
export function virtualStore(ts: TestScheduler, writeFrames: number, failOn?: string) {
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

/** An async store whose writes settle when the test says (`settle()`); `delete` only when asked for. */
export function settledStore(
  withDelete: boolean,
): AsyncKeyValueStore & { data: Map<string, string>; settle: () => void; pending: number } {
  const data = new Map<string, string>();
  const waiting: Array<() => void> = [];
  const later = (effect: () => void) => new Promise<void>((resolve) => waiting.push(() => (effect(), resolve())));
  return {
    data,
    get pending() {
      return waiting.length;
    },
    settle: () => waiting.splice(0).forEach((run) => run()),
    get: (key: string) => Promise.resolve(data.get(key)),
    set: (key: string, value: string) => later(() => data.set(key, value)),
    ...(withDelete ? { delete: (key: string) => later(() => data.delete(key)) } : {}),
  };
}
