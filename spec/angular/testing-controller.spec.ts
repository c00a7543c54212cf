/**
 * The testing controller drives the SDK's real read and append code: what it
 * answers must parse as the protocol's wire shapes (catch-up, long-poll, SSE),
 * and verify() must catch what a test forgot.
 */
import '@angular/compiler'; // @angular/common's partial declarations are JIT-linked in specs
import { createEnvironmentInjector, Injector, type EnvironmentInjector } from '@angular/core';
import { firstValueFrom, toArray, take, type Subscription } from 'rxjs';
import { DurableStreamsClient, provideDurableStreams } from '../../lib/angular/index';
import { DurableStreamsTestingController, provideDurableStreamsTesting } from '../../lib/angular/testing/index';
import {
  StreamClosedError,
  StreamNotFoundError,
  type JsonBatch,
  type TextChunk,
  appendJson,
  readJson,
  readText,
} from '../../lib/index';

let injector: EnvironmentInjector;
let controller: DurableStreamsTestingController;
let client: DurableStreamsClient;

beforeEach(() => {
  injector = createEnvironmentInjector(
    [
      provideDurableStreams({ baseUrl: 'http://streams.test/v1/stream', retry: { initialDelayMs: 1, maxDelayMs: 2 } }),
      provideDurableStreamsTesting(),
    ],
    Injector.NULL as EnvironmentInjector,
  );
  controller = injector.get(DurableStreamsTestingController);
  client = injector.get(DurableStreamsClient);
});
afterEach(() => injector.destroy());

function collect<T>(source: { subscribe(next: (value: T) => void): Subscription }): {
  values: T[];
  subscription: Subscription;
} {
  const values: T[] = [];
  return { values, subscription: source.subscribe((value) => values.push(value)) };
}

describe('DurableStreamsTestingController', () => {
  it('answers a read through catch-up and SSE, with offsets the read continues from', async () => {
    const { values, subscription } = collect<JsonBatch<number>>(
      readJson<number>(client.stream('nums'), { live: 'sse' }),
    );
    const read = controller.expectRead('nums');
    expect(read.mode).toBe('catch-up');
    await read.push([1, 2], { upToDate: false });
    await read.push([3]);
    expect(read.mode).toBe('sse');
    await read.push([4, 5]);
    await read.upToDate();
    await read.close([6]);
    expect(values.map((batch) => [batch.items, batch.upToDate, batch.closed])).toEqual([
      [[1, 2], false, false],
      [[3], true, false],
      [[4, 5], true, false],
      [[6], true, true],
    ]);
    expect(values.at(-1)!.offset).toBe('0000000000000006');
    expect(read.requests.map((request) => new URL(request.request.url).searchParams.get('offset'))).toEqual([
      '-1',
      '0000000000000002',
      '0000000000000003',
    ]);
    expect(subscription.closed).toBe(true);
    controller.verify();
  });

  it('answers long-polls (204 when nothing is new) and text streams', async () => {
    const { values, subscription } = collect<TextChunk>(readText(client.stream('log'), { live: 'long-poll' }));
    const read = controller.expectRead('log');
    await read.push('hello ');
    await read.upToDate();
    await read.push('world');
    expect(read.mode).toBe('long-poll');
    expect(values.map((chunk) => chunk.text).join('')).toBe('hello world');
    expect(read.requests.at(-2)!.settled).toBe(true);
    subscription.unsubscribe(); // a live read holds its long-poll (and its timeout) until then
  });

  it('errors and network failures reach the read: a 5xx and a failure are retried, a 404 is not', async () => {
    const batches = firstValueFrom(readJson<number>(client.stream('flaky'), { live: false }).pipe(take(1), toArray()));
    const read = controller.expectRead('flaky');
    await read.error(503);
    await read.fail();
    await read.push([1]);
    await expect(batches).resolves.toEqual([expect.objectContaining({ items: [1] })]);
    expect(read.requests).toHaveLength(3);

    const missing = expect(firstValueFrom(readJson(client.stream('gone'), { live: false }))).rejects.toBeInstanceOf(
      StreamNotFoundError,
    );
    await controller.expectRead('gone').error(404);
    await missing;
  });

  it('asserts appends, answers them, and reports errors the server would send', async () => {
    const first = firstValueFrom(appendJson(client.stream('chat'), { text: 'hi' }));
    const append = controller.expectAppend('chat');
    expect(append.json).toEqual([{ text: 'hi' }]);
    await append.flush('0000000000000010');
    await expect(first).resolves.toEqual({ nextOffset: '0000000000000010' });

    const second = expect(firstValueFrom(appendJson(client.stream('chat'), 'late'))).rejects.toBeInstanceOf(
      StreamClosedError,
    );
    await controller.expectAppend('chat').closed();
    await second;
    controller.verify();
  });

  it('verify() reports unexpected reads and requests, and expected requests left unanswered', async () => {
    const read = readJson(client.stream('a')).subscribe();
    void firstValueFrom(appendJson(client.stream('b'), 1)).catch(() => undefined);
    expect(() => controller.verify()).toThrow(
      /unexpected read of http:\/\/streams\.test\/v1\/stream\/a[\s\S]*unexpected POST/,
    );
    controller.expectRead('a');
    const append = controller.expectAppend('b');
    expect(() => controller.verify()).toThrow(/unanswered POST http:\/\/streams\.test\/v1\/stream\/b/);
    await append.flush();
    expect(() => controller.expectRead('a')).toThrow(/Expected one read of 'a', found 0/);
    expect(() => controller.expectNone('a')).not.toThrow();
    read.unsubscribe();
  });

  it('takes a handle where it takes a path: the handle matches its own URL, not another stream of the same name', async () => {
    const chat = client.stream<{ text: string }>('rooms/1/chat');
    const elsewhere = readJson(client.stream('archive/1/chat')).subscribe();
    const ours = collect<JsonBatch<{ text: string }>>(readJson(chat, { live: false }));
    const sent = firstValueFrom(appendJson(chat, { text: 'hi' }));
    expect(() => controller.expectRead('chat')).toThrow(/Expected one read of 'chat', found 2/); // a path: both match
    await controller.expectRead(chat).push([{ text: 'hello' }]);
    expect(ours.values.map((batch) => batch.items)).toEqual([[{ text: 'hello' }]]);
    const append = controller.expectAppend(chat);
    expect(append.json).toEqual([{ text: 'hi' }]);
    await append.flush();
    await sent;
    expect(() => controller.expectNone(chat)).not.toThrow();
    expect(() => controller.expectRead(chat)).toThrow(
      /Expected one read of 'http:\/\/streams\.test\/v1\/stream\/rooms\/1\/chat', found 0/,
    );
    controller.expectRead(client.stream('archive/1/chat'));
    controller.verify();
    elsewhere.unsubscribe();
  });

  it('sees a read cancelled when it is unsubscribed, and refuses pushes after the end', async () => {
    const subscription = readJson(client.stream('s'), { live: 'long-poll' }).subscribe();
    const read = controller.expectRead('s');
    await read.push([1]);
    subscription.unsubscribe();
    expect(read.cancelled).toBe(true);
    const closed = readJson(client.stream('t')).subscribe();
    const ended = controller.expectRead('t');
    await ended.close();
    await expect(ended.push([2])).rejects.toThrow(/has ended/);
    closed.unsubscribe();
  });
});
