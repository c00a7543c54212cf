import nock from 'nock';
import { catchError, firstValueFrom, lastValueFrom, switchMap, throwError, toArray, type Observable } from 'rxjs';
import {
  DurableStreamsClient,
  fetchTransport,
  GoneError,
  items,
  ParseError,
  ProtocolError,
  StreamNotFoundError,
  UnauthorizedError,
  type ByteChunk,
  type DurableStream,
  headStream,
  readBytes,
  readJson,
  readText,
} from '../../lib/index';

const ORIGIN = 'http://ds.test';
const PATH = '/v1/stream/s';

const h = (headers: Record<string, string>) => headers;
const position = (offset: string, extra: Record<string, string> = {}) => h({ 'stream-next-offset': offset, ...extra });
const upToDate = (offset: string, extra: Record<string, string> = {}) =>
  position(offset, { 'stream-up-to-date': 'true', ...extra });
const text = (chunk: ByteChunk) => new TextDecoder().decode(chunk.data);
const all = <T>(source: Observable<T>) => lastValueFrom(source.pipe(toArray()));
const failure = <T>(source: Observable<T>) =>
  lastValueFrom(source).then(
    () => {
      throw new Error('expected the read to fail');
    },
    (error: unknown) => error,
  );

describe('reads over HTTP (nock, fetch transport)', () => {
  let stream: DurableStream;
  let paths: string[];
  /** Intercepts the next GET of the stream, recording its exact path and query. */
  const get = () => ({
    reply: (status: number, body: string | Buffer = '', headers: Record<string, string> = {}) =>
      nock(ORIGIN)
        .get((uri) => uri.startsWith(PATH))
        .reply((uri) => {
          paths.push(uri);
          return [status, body, headers];
        }),
  });

  beforeAll(() => nock.disableNetConnect());
  afterAll(() => nock.enableNetConnect());
  beforeEach(() => {
    paths = [];
    const client = new DurableStreamsClient({
      baseUrl: `${ORIGIN}/v1/stream`,
      transport: fetchTransport(),
      retry: { initialDelayMs: 1, maxDelayMs: 2 },
    });
    stream = client.stream('s');
  });
  afterEach(() => {
    const pending = nock.pendingMocks();
    nock.cleanAll();
    expect(pending).toEqual([]);
  });

  it('200 with data: one chunk with the bytes, position and checkpoint', async () => {
    get().reply(200, 'hello', upToDate('0_5', { 'stream-cursor': 'c1', 'content-type': 'text/plain' }));
    const chunks = await all(readBytes(stream, { live: false }));
    expect(chunks).toHaveLength(1);
    expect(text(chunks[0])).toBe('hello');
    expect(chunks[0]).toMatchObject({
      offset: '0_5',
      cursor: 'c1',
      upToDate: true,
      closed: false,
      checkpoint: { offset: '0_5', cursor: 'c1' },
    });
    expect(paths).toEqual([`${PATH}?offset=-1`]);
  });

  it('partial responses are followed from each next offset until up to date', async () => {
    get().reply(200, 'ab', position('0_2'));
    get().reply(200, 'cd', upToDate('0_4'));
    const chunks = await all(readBytes(stream, { live: false }));
    expect(chunks.map(text)).toEqual(['ab', 'cd']);
    expect(chunks.map((c) => c.upToDate)).toEqual([false, true]);
    expect(paths).toEqual([`${PATH}?offset=-1`, `${PATH}?offset=0_2`]);
  });

  it('200 empty and up to date is still emitted, as a chunk without data', async () => {
    get().reply(200, '', upToDate('0_9'));
    const chunks = await all(readBytes(stream, { live: false, from: 'now' }));
    expect(chunks).toHaveLength(1);
    expect(chunks[0].data).toHaveLength(0);
    expect(chunks[0]).toMatchObject({ offset: '0_9', upToDate: true });
    expect(paths).toEqual([`${PATH}?offset=now`]);
  });

  it('long-poll from Offset.now: no catch-up round trip; 204 is up to date; the cursor is echoed; params sorted', async () => {
    get().reply(204, '', upToDate('0_3', { 'stream-cursor': 'k1' }));
    get().reply(200, 'new', upToDate('0_6', { 'stream-cursor': 'k2' }));
    get().reply(204, '', upToDate('0_6', { 'stream-closed': 'true' }));
    const chunks = await all(readBytes(stream, { live: 'long-poll', from: 'now', params: { zeta: 'z', alpha: 'a' } }));
    expect(chunks.map((c) => [text(c), c.offset, c.cursor, c.upToDate, c.closed])).toEqual([
      ['', '0_3', 'k1', true, false],
      ['new', '0_6', 'k2', true, false],
      // EOF without a cursor (allowed when closed): the last cursor is kept.
      ['', '0_6', 'k2', true, true],
    ]);
    expect(paths).toEqual([
      `${PATH}?alpha=a&live=long-poll&offset=now&zeta=z`,
      `${PATH}?alpha=a&cursor=k1&live=long-poll&offset=0_3&zeta=z`,
      `${PATH}?alpha=a&cursor=k2&live=long-poll&offset=0_6&zeta=z`,
    ]);
  });

  it('catch-up requests do not carry the cursor; live ones do', async () => {
    get().reply(200, 'x', position('0_1', { 'stream-cursor': 'k0' }));
    get().reply(200, '', upToDate('0_1', { 'stream-cursor': 'k0' }));
    get().reply(204, '', upToDate('0_1', { 'stream-closed': 'true' }));
    await all(readBytes(stream, { live: 'long-poll', from: { offset: '0_0', cursor: 'old' } }));
    expect(paths).toEqual([`${PATH}?offset=0_0`, `${PATH}?offset=0_1`, `${PATH}?cursor=k0&live=long-poll&offset=0_1`]);
  });

  it('closed (200, empty, Stream-Closed) completes the read, even a live one, without another request', async () => {
    get().reply(200, 'end', upToDate('0_3', { 'stream-closed': 'true' }));
    const chunks = await all(readBytes(stream, { live: 'auto' }));
    expect(chunks.map((c) => [text(c), c.closed, c.upToDate, c.cursor])).toEqual([['end', true, true, undefined]]);
    expect(paths).toHaveLength(1);
  });

  it('410 is a GoneError; reading on from head().nextOffset recovers', async () => {
    get().reply(410, 'retention dropped it');
    nock(ORIGIN)
      .head(PATH)
      .reply(200, '', position('0_50', { 'content-type': 'text/plain' }));
    get().reply(200, 'kept', upToDate('0_54'));
    const errors: unknown[] = [];
    const recovered = readBytes(stream, { live: false, from: '0_1' }).pipe(
      catchError((error: unknown) => {
        errors.push(error);
        return error instanceof GoneError
          ? headStream(stream).pipe(switchMap((meta) => readBytes(stream, { live: false, from: meta.nextOffset })))
          : throwError(() => error);
      }),
    );
    const chunks = await all(recovered);
    expect(errors[0]).toBeInstanceOf(GoneError);
    expect((errors[0] as GoneError).status).toBe(410);
    expect(chunks.map(text)).toEqual(['kept']);
    expect(paths).toEqual([`${PATH}?offset=0_1`, `${PATH}?offset=0_50`]);
  });

  it('404 is a StreamNotFoundError, not retried', async () => {
    get().reply(404, 'no such stream');
    const error = await failure(readBytes(stream, { live: 'auto' }));
    expect(error).toBeInstanceOf(StreamNotFoundError);
    expect(paths).toHaveLength(1);
  });

  it('5xx is retried with backoff, then the read goes on', async () => {
    get().reply(503, 'busy');
    get().reply(500, 'oops');
    get().reply(200, 'ok', upToDate('0_2'));
    const chunks = await all(readBytes(stream, { live: false }));
    expect(chunks.map(text)).toEqual(['ok']);
    expect(paths).toHaveLength(3);
  });

  it('a 200 without Stream-Next-Offset is a ProtocolError: not a protocol answer, the read cannot continue', async () => {
    get().reply(200, 'x', {});
    const error = await failure(readBytes(stream, { live: false }));
    expect(error).toBeInstanceOf(ProtocolError);
    expect((error as ProtocolError).offset).toBe('-1');
  });

  it('malformed JSON is a ParseError naming the offset of the response', async () => {
    get().reply(200, '[{"a":1},', upToDate('0_9', { 'content-type': 'application/json' }));
    const error = await failure(readJson(stream, { live: false, from: '0_4' }));
    expect(error).toBeInstanceOf(ParseError);
    expect((error as ParseError).offset).toBe('0_4');
    expect((error as ParseError).message).toContain('0_4');
  });

  it('readJson: one batch per response, items() flattens', async () => {
    get().reply(200, '[{"n":1},{"n":2}]', position('0_2', { 'content-type': 'application/json' }));
    get().reply(200, '[{"n":3}]', upToDate('0_3', { 'content-type': 'application/json' }));
    const batches = await all(readJson<{ n: number }>(stream, { live: false }));
    expect(batches.map((b) => [b.items, b.offset])).toEqual([
      [[{ n: 1 }, { n: 2 }], '0_2'],
      [[{ n: 3 }], '0_3'],
    ]);
    get().reply(200, '[{"n":1},{"n":2}]', upToDate('0_2', { 'content-type': 'application/json' }));
    expect(await all(readJson<{ n: number }>(stream, { live: false }).pipe(items()))).toEqual([{ n: 1 }, { n: 2 }]);
  });

  it('readText: a character split across two responses comes out whole', async () => {
    const euro = Buffer.from('€'); // e2 82 ac
    get().reply(
      200,
      Buffer.concat([Buffer.from('a'), euro.subarray(0, 2)]),
      position('0_3', { 'content-type': 'text/plain' }),
    );
    get().reply(
      200,
      Buffer.concat([euro.subarray(2), Buffer.from('b')]),
      upToDate('0_5', { 'content-type': 'text/plain' }),
    );
    const chunks = await all(readText(stream, { live: false }));
    expect(chunks.map((c) => c.text)).toEqual(['a', '€b']);
  });

  describe('SSE', () => {
    const sse = (events: Array<[string, string]>) =>
      events
        .map(
          ([event, data]) =>
            `event: ${event}\n${data
              .split('\n')
              .map((line) => `data: ${line}`)
              .join('\n')}\n\n`,
        )
        .join('');
    const eventStream = (extra: Record<string, string> = {}) => h({ 'content-type': 'text/event-stream', ...extra });

    it('binary stream: base64 data events are decoded; the read ends at streamClosed', async () => {
      const payload = Uint8Array.from([0, 1, 2, 250, 251, 252, 253, 254, 255]);
      const b64 = Buffer.from(payload).toString('base64');
      get().reply(200, '', upToDate('0_0', { 'content-type': 'application/octet-stream' }));
      get().reply(
        200,
        sse([
          ['data', `${b64.slice(0, 8)}\n${b64.slice(8)}`],
          ['control', '{"streamNextOffset":"0_9","streamCursor":"c"}'],
          ['control', '{"streamNextOffset":"0_9","streamClosed":true}'],
        ]),
        eventStream({ 'stream-sse-data-encoding': 'base64' }),
      );
      const chunks = await all(readBytes(stream, { live: 'sse' }));
      expect(chunks.map((c) => [Array.from(c.data), c.offset, c.closed])).toEqual([
        [[], '0_0', false],
        [Array.from(payload), '0_9', false],
        [[], '0_9', true],
      ]);
      expect(paths[1]).toBe(`${PATH}?live=sse&offset=0_0`);
    });

    it('JSON stream: the data events before a control event make one batch', async () => {
      get().reply(200, '[]', upToDate('0_0', { 'content-type': 'application/json' }));
      get().reply(
        200,
        sse([
          ['data', '[{"n":1}]'],
          ['data', '[\n{"n":2},\n{"n":3}\n]'],
          ['control', '{"streamNextOffset":"0_3","streamClosed":true}'],
        ]),
        eventStream(),
      );
      const batches = await all(readJson(stream, { live: 'sse' }));
      expect(batches.map((b) => [b.items, b.closed])).toEqual([
        [[], false],
        [[{ n: 1 }, { n: 2 }, { n: 3 }], true],
      ]);
    });

    it('a malformed control event is a ParseError naming the last offset', async () => {
      get().reply(200, '', upToDate('0_7', { 'content-type': 'text/plain' }));
      get().reply(200, sse([['control', '{"streamNextOffset": 12']]), eventStream());
      const error = await failure(readBytes(stream, { live: 'sse' }));
      expect(error).toBeInstanceOf(ParseError);
      expect((error as ParseError).offset).toBe('0_7');
    });

    it("'auto' falls back to long-poll when SSE is refused, and stays there", async () => {
      get().reply(200, 'a', upToDate('0_1', { 'content-type': 'text/plain' }));
      get().reply(501, 'SSE not implemented');
      get().reply(200, 'b', upToDate('0_2', { 'stream-cursor': 'k' }));
      get().reply(204, '', upToDate('0_2', { 'stream-closed': 'true' }));
      const chunks = await all(readBytes(stream, { live: 'auto' }));
      expect(chunks.map(text)).toEqual(['a', 'b', '']);
      expect(paths).toEqual([
        `${PATH}?offset=-1`,
        `${PATH}?live=sse&offset=0_1`,
        `${PATH}?live=long-poll&offset=0_1`,
        `${PATH}?cursor=k&live=long-poll&offset=0_2`,
      ]);
    });

    it("'auto' falls back when the SSE answer is not text/event-stream", async () => {
      get().reply(200, '', upToDate('0_1', { 'content-type': 'text/plain' }));
      get().reply(200, 'not sse', upToDate('0_1', { 'content-type': 'text/plain' }));
      get().reply(204, '', upToDate('0_1', { 'stream-closed': 'true' }));
      await all(readBytes(stream, { live: 'auto' }));
      expect(paths.map((p) => p.replace(PATH, ''))).toEqual([
        '?offset=-1',
        '?live=sse&offset=0_1',
        '?live=long-poll&offset=0_1',
      ]);
    });

    it('sends Accept: text/event-stream on SSE requests', async () => {
      get().reply(200, '', upToDate('0_1', { 'content-type': 'text/plain' }));
      nock(ORIGIN, { reqheaders: { accept: 'text/event-stream' } })
        .get(`${PATH}?live=sse&offset=0_1`)
        .reply(200, sse([['control', '{"streamNextOffset":"0_1","streamClosed":true}']]), eventStream());
      const chunks = await all(readBytes(stream, { live: 'sse' }));
      expect(chunks.at(-1)!.closed).toBe(true);
    });
  });

  describe('onError', () => {
    it('refreshes an expired token: 401, onError returns new headers, the request is retried with them', async () => {
      nock(ORIGIN, { reqheaders: { authorization: 'Bearer expired' } })
        .get(`${PATH}?offset=-1`)
        .reply(401, 'token expired');
      nock(ORIGIN, { reqheaders: { authorization: 'Bearer fresh' } })
        .get(`${PATH}?offset=-1`)
        .reply(200, 'secret', upToDate('0_6'));
      const seen: Array<[string, number]> = [];
      const chunks = await all(
        readBytes(stream, {
          live: false,
          headers: { authorization: 'Bearer expired' },
          onError: async (error, attempt) => {
            seen.push([error.code, attempt]);
            return error instanceof UnauthorizedError ? { headers: { authorization: 'Bearer fresh' } } : undefined;
          },
        }),
      );
      expect(chunks.map(text)).toEqual(['secret']);
      expect(seen).toEqual([['UNAUTHORIZED', 1]]);
    });

    it('without onError a 401 fails the read with UnauthorizedError', async () => {
      get().reply(401, 'no');
      expect(await failure(readBytes(stream, { live: false }))).toBeInstanceOf(UnauthorizedError);
    });

    it('an onError that throws fails the read with its error', async () => {
      get().reply(503, 'busy');
      const mine = new Error('refresh failed');
      const error = await failure(
        readBytes(stream, {
          live: false,
          onError: () => {
            throw mine;
          },
        }),
      );
      expect(error).toBe(mine);
    });
  });

  it('nothing is sent before subscribe, and each subscription reads anew', async () => {
    const read = readBytes(stream, { live: false });
    expect(paths).toHaveLength(0);
    get().reply(200, 'x', upToDate('0_1'));
    get().reply(200, 'x', upToDate('0_1'));
    await firstValueFrom(read);
    await firstValueFrom(read);
    expect(paths).toHaveLength(2);
  });
});
