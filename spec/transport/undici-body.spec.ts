import type { ServerResponse } from 'node:http';
import type { HttpRequest, HttpResponse } from '../../lib/transport/http-transport';
import { undiciTransport, type UndiciTransport } from '../../lib/transport/undici/undici-transport';
import { useLoopbackServer } from '../support/loopback-server';
import { sleep, until } from '../support/until';

/**
 * Issue #23 item 6: undiciTransport reads answers through a handler of its
 * own (no undici `request()`, no Node stream per body, no headers object):
 * what its body, headers and request targets must keep doing.
 */
describe('undiciTransport: its own response handler', () => {
  const loop = useLoopbackServer(() => undiciTransport());
  const server = loop.server;
  const get = (path: string, extra: Partial<HttpRequest> = {}, transport = loop.transport): Promise<HttpResponse> =>
    transport.request({
      method: 'GET',
      url: `${loop.base}${path}`,
      headers: {},
      signal: new AbortController().signal,
      ...extra,
    });
  const closedEarly = (path: string) => server.requests.some((r) => r.url === path && r.aborted === true);
  /** A transport with one connection: a request after another goes on the same connection, unless it was closed. */
  const oneConnection = async (use: (transport: UndiciTransport) => Promise<void>) => {
    const transport = undiciTransport({ connections: 1 });
    try {
      await use(transport);
    } finally {
      await transport.close();
    }
  };
  const sameConnection = (a: string, b: string) =>
    server.matching(new RegExp(`^${a}$`))[0].port === server.matching(new RegExp(`^${b}$`))[0].port;

  it('reads headers by any case, joins repeated ones, and lists them lower-case', async () => {
    server.answer((_req, res) => {
      res.setHeader('Stream-Next-Offset', '0_5');
      res.setHeader('X-Twice', ['a', 'b']);
      res.end();
    });
    const { headers, body } = await get('/h');
    await body.dump();
    expect(headers.get('stream-next-offset')).toBe('0_5');
    expect(headers.get('Stream-Next-Offset')).toBe('0_5');
    expect(headers.get('x-twice')).toBe('a, b');
    expect(headers.get('absent')).toBeNull();
    const entries = new Map(headers.entries());
    expect(entries.get('stream-next-offset')).toBe('0_5');
    expect(entries.get('x-twice')).toBe('a, b');
    expect([...entries.keys()].every((name) => name === name.toLowerCase())).toBe(true);
  });

  it('hands over a large body whole and in order, through the stream, bytes() and text()', async () => {
    const whole = Buffer.alloc(1024 * 1024);
    for (let i = 0; i < whole.length; i++) whole[i] = i % 251;
    server.answer((_req, res) => {
      res.writeHead(200);
      // In pieces, faster than it is read: the transport must pause the socket, not drop or reorder.
      for (let at = 0; at < whole.length; at += 16 * 1024) res.write(whole.subarray(at, at + 16 * 1024));
      res.end();
    });
    const streamed: Buffer[] = [];
    for await (const chunk of (await get('/big')).body.stream()) {
      streamed.push(Buffer.from(chunk));
      await sleep(0);
    }
    expect(Buffer.concat(streamed).equals(whole)).toBe(true);
    expect(Buffer.from(await (await get('/big')).body.bytes()).equals(whole)).toBe(true);
    expect((await (await get('/big')).body.text()).length).toBe(whole.toString('utf8').length);
  });

  it('skips a UTF-8 byte order mark in text(), as undici and fetch do', async () => {
    server.answer((_req, res) => res.end(Buffer.from([0xef, 0xbb, 0xbf, 0x68, 0x69])));
    expect(await (await get('/bom')).body.text()).toBe('hi');
  });

  it('closes the connection when the reader leaves the stream early, and reuses it after a body read whole', async () => {
    const open: ServerResponse[] = [];
    server.answer((req, res) => {
      res.writeHead(200);
      if (req.url === '/endless') {
        res.write('first');
        open.push(res);
      } else res.end('done');
    });
    await oneConnection(async (transport) => {
      for await (const _chunk of (await get('/endless', {}, transport)).body.stream()) break;
      await until(() => closedEarly('/endless'), 'the abandoned response to close', 5_000);
      expect(await (await get('/one', {}, transport)).body.text()).toBe('done');
      expect(await (await get('/two', {}, transport)).body.text()).toBe('done');
    });
    expect(sameConnection('/endless', '/one')).toBe(false);
    expect(sameConnection('/one', '/two')).toBe(true);
    open.forEach((res) => res.end());
  });

  it('dump() discards a small body and keeps the connection; one past 128 KiB closes it; either is safe again', async () => {
    server.answer((req, res) => {
      res.writeHead(200);
      // Past the limit, and never ending: only the client's giving up closes it.
      if (req.url === '/huge') res.write(Buffer.alloc(256 * 1024));
      else res.end('small');
    });
    await oneConnection(async (transport) => {
      const small = await get('/small', {}, transport);
      await small.body.dump();
      await small.body.dump();
      expect(await (await get('/next', {}, transport)).body.text()).toBe('small');
    });
    expect(sameConnection('/small', '/next')).toBe(true);

    const huge = await get('/huge');
    await huge.body.dump();
    await huge.body.dump();
    await until(() => closedEarly('/huge'), 'the huge response to be cut off', 5_000);
  });

  it('fails the body being read with the signal’s reason when the signal aborts mid-body', async () => {
    server.answer((_req, res) => {
      res.writeHead(200);
      res.write('part');
    });
    const controller = new AbortController();
    const response = await get('/mid', { signal: controller.signal });
    const reading = response.body.text();
    await sleep(20);
    const reason = new Error('unsubscribed');
    controller.abort(reason);
    await expect(reading).rejects.toBe(reason);
    await until(() => closedEarly('/mid'), 'the response to close', 5_000);
  });

  it('sends the path as URL parsing gives it: dot segments resolved, spaces encoded, the fragment dropped', async () => {
    server.answer((_req, res) => res.end());
    await (await get('/a/./b/../c d?x=1#frag')).body.dump();
    await (await get('/plain/path?offset=0_0&live=long-poll')).body.dump();
    expect(server.requests.map((r) => r.url)).toEqual(['/a/c%20d?x=1', '/plain/path?offset=0_0&live=long-poll']);
  });

  it('refuses a URL that is not http(s), as undici does', async () => {
    await expect(
      loop.transport.request({
        method: 'GET',
        url: 'ftp://127.0.0.1/x',
        headers: {},
        signal: new AbortController().signal,
      }),
    ).rejects.toMatchObject({ code: 'UND_ERR_INVALID_ARG' });
  });
});
