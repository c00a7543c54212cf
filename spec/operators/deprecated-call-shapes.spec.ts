/* eslint-disable @typescript-eslint/no-deprecated -- the old call shapes keep working for one release: this shows they do */
import { firstValueFrom, of, take } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { InvalidArgumentError } from '../../lib/errors/client-errors';
import {
  CheckpointStorageError,
  clearCheckpoint,
  loadCheckpoint,
  saveCheckpoint,
} from '../../lib/operators/checkpoint-storage';
import { pauseWhileHidden } from '../../lib/operators/pause-while-hidden';
import { persistCheckpoint } from '../../lib/operators/persist-checkpoint';
import { resumable } from '../../lib/operators/resumable';
import type { Checkpoint } from '../../lib/protocol/offset';
import { memoryStorage } from '../support/checkpoint-stores';

interface Batch {
  readonly items: readonly string[];
  readonly checkpoint: Checkpoint;
}

const KEY = 'feed';
const a: Batch = { items: ['x'], checkpoint: { offset: '1' } };
const b: Batch = { items: ['y'], checkpoint: { offset: '2' } };
const stored = (value: Batch) => JSON.stringify(value.checkpoint);

describe('deprecated positional call shapes (removed in the next release)', () => {
  it('loadCheckpoint(storage, key), saveCheckpoint(storage, key, checkpoint), clearCheckpoint(storage, key)', async () => {
    const storage = memoryStorage({}, true);
    await firstValueFrom(saveCheckpoint(storage, KEY, a.checkpoint));
    expect(storage.data.get(KEY)).toBe(stored(a));
    await expect(firstValueFrom(loadCheckpoint(storage, KEY))).resolves.toEqual(a.checkpoint);
    await firstValueFrom(clearCheckpoint(storage, KEY));
    await expect(firstValueFrom(loadCheckpoint(storage, KEY))).resolves.toBeUndefined();
    expect(() => loadCheckpoint(storage, '')).toThrow(InvalidArgumentError);
  });

  it('persistCheckpoint(storage, key, { onSaveError }) saves as the options form does, take(1) included', () => {
    const storage = memoryStorage();
    of(a, b).pipe(persistCheckpoint(storage, KEY), take(1)).subscribe();
    expect(storage.writes).toEqual([stored(a)]);

    const reported: CheckpointStorageError[] = [];
    const failing = memoryStorage();
    failing.setItem = () => {
      throw new Error('QuotaExceededError');
    };
    of(a)
      .pipe(persistCheckpoint(failing, KEY, { onSaveError: (error) => reported.push(error) }))
      .subscribe();
    expect(reported).toHaveLength(1);
    expect(() => persistCheckpoint({} as never, KEY)).toThrow(InvalidArgumentError);
  });

  it('resumable(storage, key, read, options) gives the read undefined the first time, then the saved checkpoint', () => {
    const storage = memoryStorage();
    const starts: Array<Checkpoint | undefined> = [];
    const read = (checkpoint: Checkpoint | undefined) => (starts.push(checkpoint), checkpoint ? of(b) : of(a));
    resumable(storage, KEY, read).subscribe();
    resumable(storage, KEY, read, { onSaveError: () => undefined }).subscribe();
    expect(starts).toEqual([undefined, a.checkpoint]);
    expect(storage.data.get(KEY)).toBe(stored(b));
    expect(() => resumable(storage, '', read)).toThrow(InvalidArgumentError);
  });

  it("pauseWhileHidden's checkpoint option starts the first read, as from does", () => {
    const starts: Array<Checkpoint | undefined> = [];
    new TestScheduler((actual, expected) => expect(actual).toEqual(expected)).run(({ cold, hot, expectObservable }) => {
      const read = (from: Checkpoint | undefined) => (starts.push(from), cold('-a|', { a }));
      expectObservable(pauseWhileHidden(read, { visibility: hot('t', { t: true }), checkpoint: b.checkpoint })).toBe(
        '-a|',
        { a },
      );
    });
    expect(starts).toEqual([b.checkpoint]);
  });
});
