import {
  DurableStreamsClient,
  InvalidArgumentError,
  Offset,
  type Checkpoint,
  type HttpTransport,
  type ReadOptions,
  readBytes,
} from '../../lib/index';
import { DEFAULT_RETRY } from '../../lib/retry/retry-config';
import { resolveReadOptions } from '../../lib/read/resolve-read-options';
import { readRequestSpec } from '../../lib/read/read-request';

const URL = 'http://ds.test/v1/stream/s';
const client = { timeoutMs: 1_000, retry: DEFAULT_RETRY };

describe('read options', () => {
  it('defaults: from the beginning, auto, long-poll timeout above the client timeout', () => {
    expect(resolveReadOptions({}, client, URL)).toMatchObject({
      start: { offset: '-1' },
      live: 'auto',
      timeoutMs: 1_000,
      longPollTimeoutMs: 61_000,
      sseFallbackTimeoutMs: 10_000,
      sseIdleTimeoutMs: 61_000,
      // A live read outlasts any outage unless something bounds it.
      retry: { ...DEFAULT_RETRY, maxRetries: Infinity },
    });
    expect(resolveReadOptions({ live: false }, client, URL).retry).toEqual(DEFAULT_RETRY);
    expect(resolveReadOptions({}, { ...client, liveMaxRetries: 3 }, URL).retry.maxRetries).toBe(3);
    expect(
      resolveReadOptions({ retry: { maxRetries: 2 } }, { ...client, liveMaxRetries: 3 }, URL).retry.maxRetries,
    ).toBe(2);
  });

  it('from a checkpoint gives offset and cursor; per-read retry overrides the client', () => {
    const resolved = resolveReadOptions(
      { from: { offset: '0_5', cursor: 'c' }, retry: { maxRetries: 1 } },
      client,
      URL,
    );
    expect(resolved.start).toEqual({ offset: '0_5', cursor: 'c' });
    expect(resolved.retry.maxRetries).toBe(1);
  });

  it('from an offset, a sentinel or nothing', () => {
    expect(resolveReadOptions({ from: '0_7' }, client, URL).start).toEqual({ offset: '0_7' });
    expect(resolveReadOptions({ from: Offset.now }, client, URL).start).toEqual({ offset: 'now' });
    expect(resolveReadOptions({ from: undefined }, client, URL).start).toEqual({ offset: '-1' });
    // An extra field of a batch passed whole is not part of where the read starts.
    const batchLike = { offset: '0_9', cursor: 'k', upToDate: true } as Checkpoint;
    expect(resolveReadOptions({ from: batchLike }, client, URL).start).toEqual({ offset: '0_9', cursor: 'k' });
  });

  /* eslint-disable @typescript-eslint/no-deprecated -- the old names work for one more release: shown here */
  it('the deprecated offset and checkpoint still start a read where from would', () => {
    expect(resolveReadOptions({ offset: '0_7' }, client, URL).start).toEqual({ offset: '0_7' });
    expect(resolveReadOptions({ checkpoint: { offset: '0_5', cursor: 'c' } }, client, URL).start).toEqual({
      offset: '0_5',
      cursor: 'c',
    });
  });

  it.each<[string, ReadOptions]>([
    ['offset and checkpoint together', { offset: '1', checkpoint: { offset: '2' } }],
    ['from and offset together', { from: '1', offset: '2' }],
    ['from and checkpoint together', { from: Offset.now, checkpoint: { offset: '2' } }],
    ['an empty offset', { from: '' }],
    ['an empty deprecated offset', { offset: '' }],
    ['a checkpoint without offset', { from: { cursor: 'c' } as never }],
    ['a number', { from: 5 as never }],
    ['null', { from: null as never }],
    ['a non-string cursor', { from: { offset: '1', cursor: 2 } as never }],
    ['an unknown live mode', { live: 'websocket' as never }],
    ['a bad header value', { headers: { a: 1 as never } }],
    ['a bad retry', { retry: { maxRetries: -1 } }],
    ['a non-positive long-poll timeout', { longPollTimeoutMs: 0 }],
    ['a non-function onError', { onError: 'retry' as never }],
  ])('rejects %s with InvalidArgumentError naming the stream', (_what, options) => {
    expect(() => resolveReadOptions(options, client, URL)).toThrow(InvalidArgumentError);
  });
  /* eslint-enable @typescript-eslint/no-deprecated */

  it('a read with bad options fails at the call, before any I/O', () => {
    const requests: unknown[] = [];
    const transport: HttpTransport = {
      request: async (r) => (requests.push(r), Promise.reject(new Error('unreachable'))),
    };
    const stream = new DurableStreamsClient({ baseUrl: 'http://ds.test/v1/stream', transport }).stream('s');
    expect(() => readBytes(stream, { from: '' })).toThrow(InvalidArgumentError);
    expect(requests).toEqual([]);
  });

  it('requests: long-polls get the long timeout, SSE asks for text/event-stream, catch-up omits the cursor', () => {
    const timeouts = { timeoutMs: 1_000, longPollTimeoutMs: 61_000, sseIdleTimeoutMs: 90_000 };
    const base = { offset: '0_1', cursor: 'c', headers: undefined, params: undefined };
    expect(readRequestSpec(URL, { ...base, kind: 'catch-up' }, timeouts)).toMatchObject({
      query: { offset: '0_1', live: undefined, cursor: undefined },
      timeoutMs: 1_000,
      bodyTimeoutMs: 1_000,
    });
    expect(readRequestSpec(URL, { ...base, kind: 'long-poll' }, timeouts)).toMatchObject({
      query: { offset: '0_1', live: 'long-poll', cursor: 'c' },
      timeoutMs: 61_000,
    });
    expect(readRequestSpec(URL, { ...base, kind: 'sse' }, timeouts)).toMatchObject({
      query: { live: 'sse', cursor: 'c' },
      headers: { accept: 'text/event-stream' },
      bodyTimeoutMs: 90_000,
    });
  });
});
