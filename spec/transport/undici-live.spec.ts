import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { firstValueFrom } from 'rxjs';
import { TimeoutError } from '../../lib/index';
import { exchange } from '../../lib/transport/exchange';
import type { HttpRequest } from '../../lib/transport/http-transport';
import { undiciTransport, type UndiciTransport } from '../../lib/transport/undici/undici-transport';
import { sleep } from '../support/until';

/** Issue #13, item 1: undici's capped pool, long-lived requests, and requests waiting for a socket. */
describe('undiciTransport with a full pool', () => {
  const arrived: string[] = [];
  const held: ServerResponse[] = [];
  // '/hold…' is answered only when the spec releases it; anything else at once.
  const server = createServer((req, res) => {
    arrived.push(req.url ?? '');
    if (req.url?.startsWith('/hold')) held.push(res);
    else res.end('ok');
  });
  let base: string;
  let transport: UndiciTransport;

  beforeAll(async () => {
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  beforeEach(() => {
    arrived.length = 0;
    transport = undiciTransport({ connections: 1 });
  });
  afterEach(async () => {
    held.splice(0).forEach((res) => res.end());
    await transport.close();
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  const get = (path: string, signal: AbortSignal, extra: Partial<HttpRequest> = {}) =>
    transport.request({ method: 'GET', url: `${base}${path}`, headers: {}, signal, ...extra });
  const arrival = async (path: string) => {
    while (!arrived.includes(path)) await sleep(5);
  };

  it('sends long-lived requests beside the capped pool, so a one-shot request does not wait behind them', async () => {
    const live = new AbortController();
    const holds = [1, 2, 3].map((n) => get(`/hold-live-${n}`, live.signal, { longLived: true }).catch(() => 'aborted'));
    await Promise.all([1, 2, 3].map((n) => arrival(`/hold-live-${n}`)));
    const response = await get('/quick', new AbortController().signal);
    expect(await response.body.text()).toBe('ok');
    live.abort();
    expect(await Promise.all(holds)).toEqual(['aborted', 'aborted', 'aborted']);
  });

  it('sends a long-lived request made as the answer to the one before it is read on that connection, not a new one', async () => {
    const ports = new Set<number | undefined>();
    const record = (req: IncomingMessage) => req.url === '/poll' && ports.add(req.socket.remotePort);
    server.on('request', record);
    try {
      // As a read loop polls: the next request leaves as soon as the answer's body is read.
      for (let n = 0; n < 5; n++) {
        const response = await get('/poll', new AbortController().signal, { longLived: true });
        expect(await response.body.text()).toBe('ok');
      }
    } finally {
      server.off('request', record);
    }
    expect(ports.size).toBe(1);
  });

  it('rejects a request waiting for a socket as soon as its signal aborts, and never sends it', async () => {
    const first = get('/hold-short', new AbortController().signal);
    await arrival('/hold-short');
    const waiting = new AbortController();
    const queued = get('/queued', waiting.signal);
    setTimeout(() => waiting.abort(), 50);
    const start = Date.now();
    await expect(queued).rejects.toMatchObject({ name: 'AbortError' });
    // Not held until the socket frees (never, here), even on a loaded machine.
    expect(Date.now() - start).toBeLessThan(5_000);
    // The socket frees up: the abandoned request is dropped, not sent late.
    held.splice(0).forEach((res) => res.end('done'));
    expect(await (await first).body.text()).toBe('done');
    expect(await (await get('/after', new AbortController().signal)).body.text()).toBe('ok');
    expect(arrived).toEqual(['/hold-short', '/after']);
  });

  it('times a request out while it waits for a socket (timeoutMs), with a TimeoutError', async () => {
    void get('/hold-short', new AbortController().signal).catch(() => undefined);
    await arrival('/hold-short');
    const start = Date.now();
    const queued = firstValueFrom(
      exchange(transport, { method: 'HEAD', url: `${base}/queued`, headers: {} }, (response) => [response.status], {
        timeoutMs: 100,
      }),
    );
    await expect(queued).rejects.toBeInstanceOf(TimeoutError);
    expect(Date.now() - start).toBeLessThan(5_000);
  });

  it('rejects at once when the signal was aborted before the request', async () => {
    void get('/hold-short', new AbortController().signal).catch(() => undefined);
    await arrival('/hold-short');
    await expect(get('/queued', AbortSignal.abort())).rejects.toMatchObject({ name: 'AbortError' });
  });

  it('removes its abort listener once the response arrives', async () => {
    const { signal } = new AbortController();
    const added = jest.spyOn(signal, 'addEventListener');
    const removed = jest.spyOn(signal, 'removeEventListener');
    await (await get('/quick', signal)).body.dump();
    const ours = added.mock.calls.filter(([type]) => type === 'abort').map(([, listener]) => listener);
    const gone = removed.mock.calls.filter(([type]) => type === 'abort').map(([, listener]) => listener);
    expect(ours.length).toBeGreaterThan(0);
    expect(ours.every((listener) => gone.includes(listener))).toBe(true);
  });
});
