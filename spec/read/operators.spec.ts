import { lastValueFrom, of, toArray } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import {
  collectBytes,
  collectItems,
  collectText,
  items,
  untilUpToDate,
  type ByteChunk,
  type JsonBatch,
  type TextChunk,
} from '../../lib/index';

const pos = (offset: string, upToDate = false, closed = false) => ({
  offset,
  upToDate,
  closed,
  checkpoint: { offset },
});

describe('read operators', () => {
  it('items() flattens batches into their messages, in order', async () => {
    const batches: JsonBatch<number>[] = [
      { items: [1, 2], ...pos('2') },
      { items: [], ...pos('2', true) },
      { items: [3], ...pos('3', true) },
    ];
    expect(await lastValueFrom(of(...batches).pipe(items(), toArray()))).toEqual([1, 2, 3]);
  });

  it('untilUpToDate() completes after the first up-to-date (or closed) chunk, emitting it', () => {
    new TestScheduler((a, b) => expect(a).toEqual(b)).run(({ cold, expectObservable, expectSubscriptions }) => {
      const source = cold('-a-b-c', { a: pos('1'), b: pos('2', true), c: pos('3', true) });
      expectObservable(source.pipe(untilUpToDate())).toBe('-a-(b|)', { a: pos('1'), b: pos('2', true) });
      expectSubscriptions(source.subscriptions).toBe('^--!');
    });
  });

  it('collectBytes() concatenates the data up to the tail, and stops the read there', async () => {
    const enc = (s: string) => new TextEncoder().encode(s);
    const chunks: ByteChunk[] = [
      { data: enc('ab'), ...pos('2') },
      { data: enc('cd'), ...pos('4', true) },
      { data: enc('NOT READ'), ...pos('5', true) },
    ];
    expect(new TextDecoder().decode(await lastValueFrom(of(...chunks).pipe(collectBytes())))).toBe('abcd');
  });

  it('collectText() joins text up to the tail', async () => {
    const chunks: TextChunk[] = [
      { text: 'he', ...pos('2') },
      { text: 'llo', ...pos('5', false, true) },
    ];
    expect(await lastValueFrom(of(...chunks).pipe(collectText()))).toBe('hello');
  });

  it('collectItems() gathers messages up to the tail into a new array', async () => {
    const first = [1, 2];
    const batches: JsonBatch<number>[] = [{ items: first, ...pos('2', true) }];
    const collected = await lastValueFrom(of(...batches).pipe(collectItems()));
    expect(collected).toEqual([1, 2]);
    expect(collected).not.toBe(first);
    const two: JsonBatch<number>[] = [
      { items: [1], ...pos('1') },
      { items: [2, 3], ...pos('3', true) },
    ];
    expect(await lastValueFrom(of(...two).pipe(collectItems()))).toEqual([1, 2, 3]);
  });
});
