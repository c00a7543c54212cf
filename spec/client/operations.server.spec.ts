import { firstValueFrom, lastValueFrom } from 'rxjs';
import {
  ContentTypeMismatchError,
  DurableStreamsClient,
  GoneError,
  NetworkError,
  ServerError,
  StreamClosedError,
  StreamExistsError,
  StreamNotFoundError,
  type HttpTransport,
  append,
  appendJson,
  closeStream,
  createStream,
  deleteStream,
  forkStream,
  headStream,
  streamExists,
} from '../../lib/index';
import { injectFault, realClient, refusedPort, transports, uniquePath } from '../support/real-server';

/** Reads a stream's whole body with a plain GET, independent of the SDK's read path. */
async function body(url: string): Promise<string> {
  const response = await fetch(`${url}?offset=-1`);
  return response.text();
}

describe.each(transports)('one-shot operations on the reference server (%s)', (_name, makeTransport) => {
  let transport: HttpTransport & { close?: () => Promise<void> };
  let client: DurableStreamsClient;

  beforeAll(() => {
    transport = makeTransport();
    client = realClient(transport);
  });
  afterAll(async () => {
    await transport.close?.();
  });

  it('creates, appends, reads back, heads, closes and deletes a JSON stream', async () => {
    const stream = client.stream(uniquePath('ops'));
    const created = await firstValueFrom(createStream(stream, { contentType: 'application/json' }));
    expect(created).toMatchObject({ created: true, contentType: 'application/json', closed: false });

    const again = await firstValueFrom(createStream(stream, { contentType: 'application/json' }));
    expect(again.created).toBe(false);

    const first = await firstValueFrom(appendJson(stream, { n: 1 }));
    const second = await firstValueFrom(appendJson(stream, [2, 3]));
    expect(second.nextOffset > first.nextOffset).toBe(true);
    expect(JSON.parse(await body(stream.url))).toEqual([{ n: 1 }, [2, 3]]);

    const head = await firstValueFrom(headStream(stream));
    expect(head).toMatchObject({ nextOffset: second.nextOffset, contentType: 'application/json', closed: false });

    const closed = await firstValueFrom(closeStream(stream));
    expect(closed.finalOffset).toBe(second.nextOffset);
    await expect(firstValueFrom(headStream(stream))).resolves.toMatchObject({ closed: true });
    await expect(firstValueFrom(closeStream(stream))).resolves.toEqual({ finalOffset: second.nextOffset });

    await lastValueFrom(deleteStream(stream));
    await expect(firstValueFrom(streamExists(stream))).resolves.toBe(false);
  });

  it('appends bytes and text with the content type learned from the server', async () => {
    const path = uniquePath('bytes');
    await firstValueFrom(createStream(client.stream(path), { contentType: 'application/octet-stream' }));
    const fresh = client.stream(path); // knows nothing: learns the type with one HEAD
    await firstValueFrom(append(fresh, new Uint8Array([0, 1, 2, 255])));
    await firstValueFrom(append(fresh, new Uint8Array([7])));
    const response = await fetch(`${fresh.url}?offset=-1`);
    expect([...new Uint8Array(await response.arrayBuffer())]).toEqual([0, 1, 2, 255, 7]);
  });

  it('creates with TTL, closed with a body, and with Stream-Seq ordering', async () => {
    const ttl = client.stream(uniquePath('ttl'));
    await firstValueFrom(createStream(ttl, { contentType: 'text/plain', ttlSeconds: 3600 }));
    await expect(firstValueFrom(headStream(ttl))).resolves.toMatchObject({ ttlSeconds: 3600 });

    const done = client.stream(uniquePath('done'));
    await expect(
      firstValueFrom(createStream(done, { contentType: 'text/plain', closed: true, body: 'final' })),
    ).resolves.toMatchObject({ closed: true });
    expect(await body(done.url)).toBe('final');

    const seq = client.stream(uniquePath('seq'));
    await firstValueFrom(createStream(seq, { contentType: 'text/plain' }));
    await firstValueFrom(append(seq, 'a', { seq: '001' }));
    await expect(firstValueFrom(append(seq, 'b', { seq: '001' }))).rejects.toMatchObject({ status: 409 });
    await firstValueFrom(append(seq, 'c', { seq: '002' }));
    expect(await body(seq.url)).toBe('ac');
  });

  it('closes atomically with a last append, and refuses appends after', async () => {
    const stream = client.stream(uniquePath('eof'));
    await firstValueFrom(createStream(stream, { contentType: 'text/plain' }));
    await firstValueFrom(append(stream, 'hello '));
    const { finalOffset } = await firstValueFrom(closeStream(stream, { body: 'world' }));
    expect(await body(stream.url)).toBe('hello world');

    const error = await firstValueFrom(append(stream, 'late')).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(StreamClosedError);
    expect((error as StreamClosedError).finalOffset).toBe(finalOffset);
    expect((error as Error).message).toContain(stream.url);
    await expect(firstValueFrom(closeStream(stream, { body: 'again' }))).rejects.toBeInstanceOf(StreamClosedError);
    expect(await body(stream.url)).toBe('hello world');
  });

  it('forks at an offset; the fork has the prefix and its own appends', async () => {
    const source = client.stream(uniquePath('src'));
    await firstValueFrom(createStream(source, { contentType: 'text/plain' }));
    const { nextOffset } = await firstValueFrom(append(source, 'abc'));
    await firstValueFrom(append(source, 'def'));
    const fork = await firstValueFrom(forkStream(source, uniquePath('fork'), { offset: nextOffset }));
    expect(fork.created).toBe(true);
    await firstValueFrom(append(fork.stream, 'XYZ'));
    expect(await body(fork.stream.url)).toBe('abcXYZ');
    expect(await body(source.url)).toBe('abcdef');
  });

  it('ends every bad input in a typed error with a clear message', async () => {
    const missing = client.stream(uniquePath('missing'));
    await expect(firstValueFrom(headStream(missing))).rejects.toBeInstanceOf(StreamNotFoundError);
    await expect(firstValueFrom(append(missing, 'x', { contentType: 'text/plain' }))).rejects.toThrow(
      /Stream not found \(404\).*Create it first/,
    );
    await expect(firstValueFrom(forkStream(missing, uniquePath('f')))).rejects.toBeInstanceOf(StreamNotFoundError);

    const typed = client.stream(uniquePath('typed'));
    await firstValueFrom(createStream(typed, { contentType: 'application/json' }));
    await expect(firstValueFrom(createStream(typed, { contentType: 'text/plain' }))).rejects.toBeInstanceOf(
      StreamExistsError,
    );
    await expect(firstValueFrom(append(typed, 'x', { contentType: 'text/plain' }))).rejects.toBeInstanceOf(
      ContentTypeMismatchError,
    );
  });

  it('retries a 5xx storm on an idempotent read, within bounds', async () => {
    const stream = client.stream(uniquePath('storm'));
    await firstValueFrom(createStream(stream, { contentType: 'text/plain' }));
    const path = new URL(stream.url).pathname;

    await injectFault(path, { status: 503, count: 2, method: 'HEAD' });
    await expect(firstValueFrom(headStream(stream))).resolves.toMatchObject({ contentType: 'text/plain' });

    await injectFault(path, { status: 500, count: 10, method: 'HEAD' });
    const bounded = realClient(transport, { retry: { maxRetries: 2, initialDelayMs: 1, maxDelayMs: 2 } });
    await expect(firstValueFrom(headStream(bounded.stream(path.replace('/v1/stream/', ''))))).rejects.toBeInstanceOf(
      ServerError,
    );
  });

  it('writes nothing twice when an append meets a 5xx', async () => {
    const stream = client.stream(uniquePath('once'), { contentType: 'text/plain' });
    await firstValueFrom(createStream(stream, { contentType: 'text/plain' }));
    await injectFault(new URL(stream.url).pathname, { status: 503, count: 2, method: 'POST' });
    await firstValueFrom(append(stream, 'x'));
    expect(await body(stream.url)).toBe('x');
  });

  it('reports 410 on a soft-deleted source', async () => {
    const source = client.stream(uniquePath('soft'));
    await firstValueFrom(createStream(source, { contentType: 'text/plain' }));
    await firstValueFrom(append(source, 'a'));
    await firstValueFrom(forkStream(source, uniquePath('keep')));
    await lastValueFrom(deleteStream(source));
    await expect(firstValueFrom(headStream(source))).rejects.toBeInstanceOf(GoneError);
  });

  it('fails with a NetworkError after bounded retries when the connection is refused', async () => {
    const refused = new DurableStreamsClient({
      baseUrl: `http://127.0.0.1:${await refusedPort()}/v1/stream`,
      transport,
      retry: { maxRetries: 2, initialDelayMs: 1, maxDelayMs: 2 },
    });
    const error = await firstValueFrom(headStream(refused.stream('x'))).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(NetworkError);
    expect((error as NetworkError).notSent).toBe(true);
    expect((error as Error).message).toMatch(/ECONNREFUSED|fetch failed/);
  });
});
