import { firstValueFrom } from 'rxjs';
import {
  DurableStreamsClient,
  DynamicValueError,
  InvalidArgumentError,
  type HttpTransport,
  append,
  forkStream,
  headStream,
  readText,
} from '../../lib/index';
import { bothTransports, script } from '../support/hostile-answers';
import { LoopbackServer } from '../support/loopback-server';

const metadata = { 'stream-next-offset': '0001', 'content-type': 'text/plain' };

/**
 * Credentials go only where the user sent them: a relative path stays under
 * the base URL's path, client-level headers and params go to the base URL's
 * origin only (unless another origin is trusted explicitly), and control
 * characters are refused, never rewritten. Checked at recording servers.
 */
describe.each(bothTransports)('credentials stay home (%s)', (_name, makeTransport) => {
  let home: LoopbackServer;
  let elsewhere: LoopbackServer;
  let homeUrl = '';
  let elsewhereUrl = '';
  let transport: HttpTransport & { close?: () => Promise<void> };

  beforeEach(async () => {
    home = new LoopbackServer();
    elsewhere = new LoopbackServer();
    [homeUrl, elsewhereUrl] = await Promise.all([home.start(), elsewhere.start()]);
    for (const server of [home, elsewhere]) script(server, (_req, res) => void res.writeHead(200, metadata).end());
    transport = makeTransport();
  });
  afterEach(async () => {
    await transport.close?.();
    await Promise.all([home.stop(), elsewhere.stop()]);
  });

  const makeClient = (extra: Partial<ConstructorParameters<typeof DurableStreamsClient>[0]> = {}) =>
    new DurableStreamsClient({
      baseUrl: `${homeUrl}/v1/stream`,
      transport,
      headers: { authorization: 'Bearer secret' },
      params: { token: 'secret' },
      retry: { maxRetries: 0 },
      ...extra,
    });

  describe('a relative path cannot leave the base path', () => {
    const escapes = [
      '../../admin/secret',
      'chat/../../admin',
      '..',
      '%2e%2e/admin',
      '%2E%2E/admin',
      '.%2e/admin',
      '%2e./admin',
      'chat/%2e%2e/%2e%2e/admin',
      'chat%2f..%2f..%2fadmin',
      'chat%2F..%2Fadmin',
      '..\\admin',
      'chat\\..\\..\\admin',
      'chat%5c..%5cadmin',
    ];
    it.each(escapes)('%j is refused with an InvalidArgumentError, before any request', async (path) => {
      const client = makeClient();
      expect(() => client.stream(path)).toThrow(InvalidArgumentError);
      expect(() => client.stream(path)).toThrow(/base URL|\.\./);
      expect(home.requests).toHaveLength(0);
    });

    it('fork() targets are held to the same rule', () => {
      const client = makeClient();
      expect(() => forkStream(client.stream('a'), '../../admin')).toThrow(InvalidArgumentError);
      expect(home.requests).toHaveLength(0);
    });

    it('ordinary paths, dots inside names included, still work', async () => {
      const client = makeClient();
      await firstValueFrom(headStream(client.stream('chat/v1.2/room..42')));
      expect(home.requests.map((r) => r.url.split('?')[0])).toEqual(['/v1/stream/chat/v1.2/room..42']);
    });
  });

  describe("client headers and params go to the base URL's origin only", () => {
    it('an absolute URL on another origin gets neither, but the call’s own headers', async () => {
      const client = makeClient();
      await firstValueFrom(headStream(client.stream(`${elsewhereUrl}/v1/stream/s`), { headers: { 'x-call': 'mine' } }));
      const [seen] = elsewhere.requests;
      expect(seen.headers['authorization']).toBeUndefined();
      expect(seen.url).not.toMatch(/token=/);
      expect(seen.headers['x-call']).toBe('mine');
    });

    it('reads, appends and producers to another origin carry no client credentials either', async () => {
      const client = makeClient();
      const stream = client.stream(`${elsewhereUrl}/v1/stream/s`, { contentType: 'text/plain' });
      await firstValueFrom(append(stream, 'x'));
      script(elsewhere, (_req, res) => void res.writeHead(200, { ...metadata, 'stream-up-to-date': 'true' }).end(''));
      await firstValueFrom(readText(stream, { live: false }));
      expect(elsewhere.requests.map((r) => r.headers['authorization'])).toEqual([undefined, undefined]);
    });

    it('an absolute URL on the home origin gets them', async () => {
      const client = makeClient();
      await firstValueFrom(headStream(client.stream(`${homeUrl}/v1/stream/s`)));
      expect(home.requests[0].headers['authorization']).toBe('Bearer secret');
      expect(home.requests[0].url).toMatch(/token=secret/);
    });

    it('another origin listed in trustedOrigins gets them', async () => {
      const client = makeClient({ trustedOrigins: [elsewhereUrl] });
      await firstValueFrom(headStream(client.stream(`${elsewhereUrl}/v1/stream/s`)));
      expect(elsewhere.requests[0].headers['authorization']).toBe('Bearer secret');
    });

    it('trustedOrigins must be origins', () => {
      expect(() => makeClient({ trustedOrigins: ['https://a.example/path'] })).toThrow(InvalidArgumentError);
      expect(() => makeClient({ trustedOrigins: ['not a url'] })).toThrow(InvalidArgumentError);
    });
  });

  describe('control characters are refused, not rewritten', () => {
    it.each(['chat\r\nx', 'chat\nx', 'chat\tx', 'chat\u0000x', 'chat\u007fx'])('in a path: %j', (path) => {
      expect(() => makeClient().stream(path)).toThrow(InvalidArgumentError);
      expect(() => makeClient().stream(`${homeUrl}/v1/stream/${path}`)).toThrow(InvalidArgumentError);
    });

    it('in a client header value, at construction', () => {
      expect(() => makeClient({ headers: { authorization: 'Bearer a\r\nx-injected: 1' } })).toThrow(
        InvalidArgumentError,
      );
      expect(() => makeClient({ headers: { 'bad name': 'x' } })).toThrow(InvalidArgumentError);
    });

    it('in a call header value, at the call, before anything is sent', () => {
      expect(() => headStream(makeClient().stream('s'), { headers: { 'x-a': 'a\nb' } })).toThrow(InvalidArgumentError);
      expect(home.requests).toHaveLength(0);
    });

    it('in a dynamic header value, before anything is sent', async () => {
      const client = makeClient({ headers: { authorization: () => 'Bearer a\r\nx-injected: 1' } });
      const error = await firstValueFrom(headStream(client.stream('s'))).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(DynamicValueError);
      expect((error as DynamicValueError).entry).toBe("headers['authorization']");
      expect(home.requests).toHaveLength(0);
    });

    it('a tab inside a header value is fine (RFC 9110 allows it)', async () => {
      await firstValueFrom(headStream(makeClient({ headers: { 'x-a': 'a\tb' } }).stream('s')));
      expect(home.requests[0].headers['x-a']).toBe('a\tb');
    });
  });
});
