import { firstValueFrom, lastValueFrom } from 'rxjs';
import {
  BadRequestError,
  ContentTypeMismatchError,
  DurableStreamsClient,
  GoneError,
  InvalidArgumentError,
  PayloadTooLargeError,
  RateLimitedError,
  ServerError,
  StreamClosedError,
  StreamExistsError,
  StreamNotFoundError,
  UnauthorizedError,
  append,
  appendJson,
  closeStream,
  createStream,
  deleteStream,
  forkStream,
  headStream,
  streamExists,
} from '../../lib/index';
import { ORIGIN, wireDoubles, type WireDouble } from '../support/wire-doubles';
import { sleep } from '../support/until';

const BASE = `${ORIGIN}/v1/stream`;
const fast = { initialDelayMs: 1, maxDelayMs: 2, maxRetries: 3 };

describe.each(wireDoubles)('one-shot operations on the wire (%s)', (_name, makeDouble) => {
  let wire: WireDouble;
  let client: DurableStreamsClient;
  const json = () => client.stream('chat', { contentType: 'application/json' });

  beforeEach(() => {
    wire = makeDouble();
    client = new DurableStreamsClient({ baseUrl: BASE, transport: wire.transport, retry: fast });
  });
  afterEach(async () => {
    await wire.close();
  });

  describe('create', () => {
    it('PUTs the configuration and reports 201 as created', async () => {
      wire.script({
        method: 'PUT',
        status: 201,
        headers: { 'stream-next-offset': 'o0', 'content-type': 'application/json' },
      });
      const result = await firstValueFrom(
        createStream(client.stream('chat'), { contentType: 'application/json', ttlSeconds: 3600 }),
      );
      expect(result).toEqual({ nextOffset: 'o0', contentType: 'application/json', created: true, closed: false });
      expect(wire.captured[0]).toMatchObject({
        method: 'PUT',
        path: '/v1/stream/chat',
        headers: expect.objectContaining({ 'content-type': 'application/json', 'stream-ttl': '3600' }),
        body: '',
      });
      expect(wire.captured[0]?.headers).not.toHaveProperty('stream-closed');
    });

    it('reports 200 as an existing identical stream', async () => {
      wire.script({
        method: 'PUT',
        status: 200,
        headers: { 'stream-next-offset': 'o7', 'content-type': 'text/plain' },
      });
      const result = await firstValueFrom(createStream(client.stream('chat'), { contentType: 'text/plain' }));
      expect(result).toMatchObject({ created: false, nextOffset: 'o7' });
    });

    it('sends closed, expiresAt and an initial body', async () => {
      wire.script({ method: 'PUT', status: 201, headers: { 'stream-next-offset': 'o3', 'stream-closed': 'true' } });
      const result = await firstValueFrom(
        createStream(client.stream('done'), {
          contentType: 'text/plain',
          closed: true,
          expiresAt: new Date(Date.UTC(2030, 0, 1)),
          body: 'all',
        }),
      );
      expect(result.closed).toBe(true);
      expect(wire.captured[0]).toMatchObject({
        headers: expect.objectContaining({ 'stream-closed': 'true', 'stream-expires-at': '2030-01-01T00:00:00.000Z' }),
        body: 'all',
      });
    });

    it('maps 409 to StreamExistsError without retrying', async () => {
      wire.script({ method: 'PUT', status: 409, body: 'Stream already exists with different configuration' });
      await expect(
        firstValueFrom(createStream(client.stream('chat'), { contentType: 'text/plain' })),
      ).rejects.toBeInstanceOf(StreamExistsError);
      expect(wire.captured).toHaveLength(1);
    });

    it('rejects ttlSeconds with expiresAt at the call, before any I/O', () => {
      expect(() => createStream(client.stream('x'), { ttlSeconds: 1, expiresAt: new Date() })).toThrow(
        InvalidArgumentError,
      );
      expect(() => createStream(client.stream('x'), { ttlSeconds: -1 })).toThrow(/ttlSeconds must be a whole number/);
      expect(wire.captured).toHaveLength(0);
    });
  });

  describe('append', () => {
    it('POSTs the bytes with the stream content type and returns the new tail', async () => {
      wire.script({ method: 'POST', status: 204, headers: { 'stream-next-offset': 'o5' } });
      const result = await firstValueFrom(append(json(), '{"a":1}'));
      expect(result).toEqual({ nextOffset: 'o5' });
      expect(wire.captured[0]).toMatchObject({
        method: 'POST',
        path: '/v1/stream/chat',
        headers: expect.objectContaining({ 'content-type': 'application/json' }),
        body: '{"a":1}',
      });
    });

    it('appendJson wraps one value in an array so an array value stays one message', async () => {
      wire.script({ method: 'POST', status: 204, headers: { 'stream-next-offset': 'o6' } });
      await firstValueFrom(appendJson(json(), [1, 2]));
      expect(wire.captured[0]?.body).toBe('[[1,2]]');
    });

    it('learns an unknown content type with one HEAD first', async () => {
      wire.script(
        { method: 'HEAD', status: 200, headers: { 'content-type': 'text/plain', 'stream-next-offset': 'o1' } },
        { method: 'POST', status: 204, headers: { 'stream-next-offset': 'o2' } },
        { method: 'POST', status: 204, headers: { 'stream-next-offset': 'o3' } },
      );
      const stream = client.stream('log');
      await firstValueFrom(append(stream, 'a'));
      await firstValueFrom(append(stream, 'b'));
      expect(wire.captured.map((c) => c.method)).toEqual(['HEAD', 'POST', 'POST']);
      expect(wire.captured[2]?.headers['content-type']).toBe('text/plain');
    });

    it("sends the call's own headers on that HEAD too, and does not share it", async () => {
      wire.script(
        { method: 'HEAD', status: 200, headers: { 'content-type': 'text/plain', 'stream-next-offset': 'o1' } },
        { method: 'POST', status: 204, headers: { 'stream-next-offset': 'o2' } },
      );
      await firstValueFrom(append(client.stream('log'), 'a', { headers: { authorization: 'Bearer call' } }));
      expect(wire.captured.map((c) => [c.method, c.headers['authorization']])).toEqual([
        ['HEAD', 'Bearer call'],
        ['POST', 'Bearer call'],
      ]);
    });

    it('sends Stream-Seq', async () => {
      wire.script({ method: 'POST', status: 204, headers: { 'stream-next-offset': 'o5' } });
      await firstValueFrom(append(json(), '1', { seq: '0001' }));
      expect(wire.captured[0]?.headers['stream-seq']).toBe('0001');
    });

    it('maps 409 + Stream-Closed to StreamClosedError with the final offset', async () => {
      wire.script({ method: 'POST', status: 409, headers: { 'stream-closed': 'true', 'stream-next-offset': 'o9' } });
      const error = await firstValueFrom(append(json(), '1')).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(StreamClosedError);
      expect(error).toMatchObject({ finalOffset: 'o9', status: 409, url: `${BASE}/chat` });
    });

    it('maps a plain 409 to ContentTypeMismatchError', async () => {
      wire.script({ method: 'POST', status: 409, body: 'Content-type mismatch' });
      await expect(firstValueFrom(append(json(), '1'))).rejects.toBeInstanceOf(ContentTypeMismatchError);
    });

    it('maps 413, 404, 400 and 401', async () => {
      wire.script(
        { method: 'POST', status: 413 },
        { method: 'POST', status: 404 },
        { method: 'POST', status: 400 },
        { method: 'POST', status: 401 },
      );
      await expect(firstValueFrom(append(json(), '1'))).rejects.toBeInstanceOf(PayloadTooLargeError);
      await expect(firstValueFrom(append(json(), '1'))).rejects.toBeInstanceOf(StreamNotFoundError);
      await expect(firstValueFrom(append(json(), '1'))).rejects.toBeInstanceOf(BadRequestError);
      await expect(firstValueFrom(append(json(), '1'))).rejects.toBeInstanceOf(UnauthorizedError);
      expect(wire.captured).toHaveLength(4);
    });

    it('does not repeat an append after a 500: it may have been applied', async () => {
      wire.script({ method: 'POST', status: 500 });
      await expect(firstValueFrom(append(json(), '1'))).rejects.toBeInstanceOf(ServerError);
      expect(wire.captured).toHaveLength(1);
    });

    it('repeats an append after 503 and 429, which the server did not apply', async () => {
      wire.script(
        { method: 'POST', status: 503 },
        { method: 'POST', status: 429, headers: { 'retry-after': '0' } },
        { method: 'POST', status: 204, headers: { 'stream-next-offset': 'o1' } },
      );
      await expect(firstValueFrom(append(json(), '1'))).resolves.toEqual({ nextOffset: 'o1' });
      expect(wire.captured.map((c) => c.body)).toEqual(['1', '1', '1']);
    });

    it('fails at once, not retrying, when a 429 asks to wait longer than maxRetryAfterMs', async () => {
      wire.script({ method: 'POST', status: 429, headers: { 'retry-after': '3600' } });
      const started = Date.now();
      const error = await firstValueFrom(append(json(), '1')).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(RateLimitedError);
      expect(error).toMatchObject({ retryAfterMs: 3_600_000 });
      expect(wire.captured).toHaveLength(1);
      expect(Date.now() - started).toBeLessThan(5_000);
    });

    it('refuses empty and non-byte data at the call, before any I/O', () => {
      expect(() => append(json(), '')).toThrow(/Cannot append empty data/);
      expect(() => append(json(), 42 as never)).toThrow(/must be a Uint8Array or a string/);
      expect(() => appendJson(json(), undefined)).toThrow(/not serializable as JSON/);
      expect(wire.captured).toHaveLength(0);
    });
  });

  describe('head and exists', () => {
    it('reads every metadata header', async () => {
      wire.script({
        method: 'HEAD',
        status: 200,
        headers: {
          'stream-next-offset': 'o4',
          'content-type': 'application/json',
          'stream-ttl': '60',
          'stream-expires-at': '2030-01-01T00:00:00Z',
          'stream-closed': 'true',
          etag: '"e1"',
        },
      });
      await expect(firstValueFrom(headStream(json()))).resolves.toEqual({
        nextOffset: 'o4',
        contentType: 'application/json',
        ttlSeconds: 60,
        expiresAt: '2030-01-01T00:00:00Z',
        closed: true,
        etag: '"e1"',
      });
    });

    it('retries a 500 and re-evaluates dynamic headers and params on each attempt', async () => {
      let token = 0;
      client = new DurableStreamsClient({
        baseUrl: BASE,
        transport: wire.transport,
        retry: fast,
        headers: { authorization: () => `Bearer t${++token}` },
        params: { tenant: async () => 'acme', a: '1' },
      });
      wire.script(
        { method: 'HEAD', status: 500 },
        { method: 'HEAD', status: 200, headers: { 'stream-next-offset': 'o1' } },
      );
      await firstValueFrom(headStream(json()));
      expect(wire.captured.map((c) => c.headers['authorization'])).toEqual(['Bearer t1', 'Bearer t2']);
      expect(wire.captured[1]?.path).toBe('/v1/stream/chat?a=1&tenant=acme');
    });

    it('fails with a DynamicValueError, sending nothing, when a header or param function fails', async () => {
      const failing = (headers: Record<string, () => string | Promise<string>>, params = {}) =>
        headStream(
          new DurableStreamsClient({ baseUrl: BASE, transport: wire.transport, retry: fast, headers, params }).stream(
            'chat',
          ),
        );
      await expect(
        firstValueFrom(
          failing({
            authorization: () => {
              throw new Error('token store offline');
            },
          }),
        ),
      ).rejects.toMatchObject({
        name: 'DynamicValueError',
        code: 'DYNAMIC_VALUE_FAILED',
        entry: "headers['authorization']",
        message: expect.stringMatching(/The function for headers\['authorization'\] failed: token store offline/),
      });
      await expect(firstValueFrom(failing({}, { tenant: async () => 42 as unknown as string }))).rejects.toThrow(
        "The function for params['tenant'] returned number, not a string",
      );
      expect(wire.captured).toHaveLength(0);
    });

    it('exists() is false on 404 and an error on 410', async () => {
      wire.script({ method: 'HEAD', status: 404 }, { method: 'HEAD', status: 410 });
      await expect(firstValueFrom(streamExists(json()))).resolves.toBe(false);
      await expect(firstValueFrom(streamExists(json()))).rejects.toBeInstanceOf(GoneError);
    });
  });

  describe('delete, close, fork', () => {
    it('DELETEs', async () => {
      wire.script({ method: 'DELETE', status: 204 });
      await expect(lastValueFrom(deleteStream(json()))).resolves.toBeUndefined();
      expect(wire.captured[0]).toMatchObject({ method: 'DELETE', path: '/v1/stream/chat' });
    });

    it('closes with an empty POST and Stream-Closed: true', async () => {
      wire.script({ method: 'POST', status: 204, headers: { 'stream-next-offset': 'o8', 'stream-closed': 'true' } });
      await expect(firstValueFrom(closeStream(json()))).resolves.toEqual({ finalOffset: 'o8' });
      expect(wire.captured[0]).toMatchObject({
        body: '',
        headers: expect.objectContaining({ 'stream-closed': 'true' }),
      });
      expect(wire.captured[0]?.headers).not.toHaveProperty('content-type');
    });

    it('closes with a last body atomically', async () => {
      wire.script({ method: 'POST', status: 204, headers: { 'stream-next-offset': 'o9', 'stream-closed': 'true' } });
      await firstValueFrom(closeStream(json(), { body: '{"done":true}' }));
      expect(wire.captured[0]).toMatchObject({
        body: '{"done":true}',
        headers: expect.objectContaining({ 'stream-closed': 'true', 'content-type': 'application/json' }),
      });
    });

    it('forks with the source path, offset and sub-offset', async () => {
      wire.script({
        method: 'PUT',
        status: 201,
        headers: { 'stream-next-offset': 'o2', 'content-type': 'application/json' },
      });
      const result = await firstValueFrom(forkStream(json(), 'chat-branch', { offset: 'o2', subOffset: 1 }));
      expect(result).toMatchObject({ created: true, nextOffset: 'o2' });
      expect(result.stream.url).toBe(`${BASE}/chat-branch`);
      expect(wire.captured[0]).toMatchObject({
        method: 'PUT',
        path: '/v1/stream/chat-branch',
        headers: expect.objectContaining({
          'stream-forked-from': '/v1/stream/chat',
          'stream-fork-offset': 'o2',
          'stream-fork-sub-offset': '1',
        }),
      });
    });

    it('forks into a target named by a handle, as by its path; anything else is refused, nothing sent', async () => {
      wire.script({
        method: 'PUT',
        status: 201,
        headers: { 'stream-next-offset': 'o2', 'content-type': 'application/json' },
      });
      const target = client.stream('chat-branch');
      const result = await firstValueFrom(forkStream(json(), target));
      expect(result.stream.url).toBe(target.url);
      expect(wire.captured.map(({ method, path }) => [method, path])).toEqual([['PUT', '/v1/stream/chat-branch']]);
      expect(() => forkStream(json(), { url: `${BASE}/x` })).toThrow(InvalidArgumentError);
      expect(() => forkStream(json(), { url: `${BASE}/x` })).toThrow(
        /target must be a handle \(client\.stream\(path\)\)/,
      );
      expect(wire.captured).toHaveLength(1);
    });
  });

  it('sends nothing before subscribe', async () => {
    const stream = json();
    const operations = [
      createStream(stream),
      append(stream, '1'),
      headStream(stream),
      deleteStream(stream),
      closeStream(stream),
      forkStream(stream, 'f'),
    ];
    await sleep(20);
    expect(operations).toHaveLength(6);
    expect(wire.captured).toHaveLength(0);
  });
});
