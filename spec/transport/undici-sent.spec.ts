import type { ServerResponse } from 'node:http';
import { firstValueFrom } from 'rxjs';
import { MockAgent, type Dispatcher } from 'undici';
import { TimeoutError } from '../../lib/index';
import { exchange, type OutgoingRequest } from '../../lib/transport/exchange';
import type { HttpRequest } from '../../lib/transport/http-transport';
import { undiciTransport, type UndiciTransport } from '../../lib/transport/undici/undici-transport';
import { LoopbackServer } from '../support/loopback-server';
import { sleep } from '../support/until';

/**
 * Contract 5: undiciTransport tells `onSent` once a request has a connection
 * and is being written, never while it waits for one, so a header timeout
 * says whether the request was ever sent.
 */
describe('undiciTransport onSent (reportsSent)', () => {
  const server = new LoopbackServer();
  const held: ServerResponse[] = [];
  let base: string;
  let transport: UndiciTransport;

  beforeAll(async () => {
    base = await server.start();
  });
  beforeEach(() => {
    server.requests.length = 0;
    // '/hold…' is answered only when the spec releases it; anything else at once.
    server.answer((req, res) => {
      if (req.url?.startsWith('/hold')) held.push(res);
      else res.end('ok');
    });
    transport = undiciTransport({ connections: 1 });
  });
  afterEach(async () => {
    held.splice(0).forEach((res) => res.end());
    await transport.close();
  });
  afterAll(() => server.stop());

  const send = (path: string, extra: Partial<HttpRequest> = {}, signal = new AbortController().signal) =>
    transport.request({ method: 'GET', url: `${base}${path}`, headers: {}, signal, ...extra });
  // Held requests are never answered: the timeout only has to outlast connecting and sending, on a loaded machine too.
  const timedOut = async (request: OutgoingRequest): Promise<TimeoutError> => {
    const error: unknown = await firstValueFrom(
      exchange(transport, request, (response) => [response.status], { timeoutMs: 1_000 }),
    ).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TimeoutError);
    return error as TimeoutError;
  };

  it('says it reports sending', () => {
    expect(transport.reportsSent).toBe(true);
  });

  it("times out a request queued behind a full pool with phase 'connection', and never sends it", async () => {
    void send('/hold-first').catch(() => undefined);
    await server.waitFor(/^\/hold-first$/);
    const error = await timedOut({ method: 'POST', url: `${base}/queued`, headers: {}, body: 'x' });
    expect(error.phase).toBe('connection');
    expect(error.message).toContain('never sent');
    held.splice(0).forEach((res) => res.end());
    expect(await (await send('/after')).body.text()).toBe('ok');
    expect(server.requests.map((r) => r.url)).toEqual(['/hold-first', '/after']);
  });

  it("times out a request the server holds with phase 'headers'", async () => {
    const error = await timedOut({ method: 'POST', url: `${base}/hold-sent`, headers: {}, body: 'x' });
    expect(error.phase).toBe('headers');
    expect(server.matching(/^\/hold-sent$/)).toHaveLength(1);
  });

  it("says 'headers' for a live read and a lane request the server holds", async () => {
    expect((await timedOut({ method: 'GET', url: `${base}/hold-live`, headers: {}, longLived: true })).phase).toBe(
      'headers',
    );
    expect(
      (await timedOut({ method: 'POST', url: `${base}/hold-lane`, headers: {}, body: 'x', lane: 'producer:a' })).phase,
    ).toBe('headers');
  });

  it('calls onSent once the request reached a connection, not while it waits, and once only', async () => {
    const events: string[] = [];
    const first = send('/hold-1', { onSent: () => events.push('sent 1') });
    await server.waitFor(/^\/hold-1$/);
    const second = send('/second', { onSent: () => events.push('sent 2') });
    await sleep(100);
    expect(events).toEqual(['sent 1']);
    held.splice(0).forEach((res) => res.end('one'));
    await (await first).body.dump();
    expect(await (await second).body.text()).toBe('ok');
    expect(events).toEqual(['sent 1', 'sent 2']);
  });

  it('never calls onSent for a request abandoned in the queue', async () => {
    void send('/hold-first').catch(() => undefined);
    await server.waitFor(/^\/hold-first$/);
    const onSent = jest.fn();
    const waiting = new AbortController();
    const queued = send('/queued', { onSent }, waiting.signal);
    waiting.abort();
    await expect(queued).rejects.toMatchObject({ name: 'AbortError' });
    held.splice(0).forEach((res) => res.end());
    await (await send('/after')).body.dump();
    expect(onSent).not.toHaveBeenCalled();
  });

  it('closes twice without complaint, before and after the first close settled (F3)', async () => {
    await (await send('/warm')).body.dump();
    const first = transport.close();
    const second = transport.close();
    await expect(Promise.all([first, second])).resolves.toEqual([undefined, undefined]);
    await expect(transport.close()).resolves.toBeUndefined();
  });
});

describe('undiciTransport onSent with a dispatcher of your own', () => {
  it('reports sending through a MockAgent, which starts requests as undici does', async () => {
    const agent = new MockAgent();
    agent.disableNetConnect();
    agent.get('http://streams.test').intercept({ path: '/s', method: 'GET' }).reply(200, 'ok');
    const transport = undiciTransport({ dispatcher: agent });
    const onSent = jest.fn();
    const response = await transport.request({
      method: 'GET',
      url: 'http://streams.test/s',
      headers: {},
      signal: new AbortController().signal,
      onSent,
    });
    expect(await response.body.text()).toBe('ok');
    expect(transport.reportsSent).toBe(true);
    expect(onSent).toHaveBeenCalledTimes(1);
    await transport.close();
    await expect(transport.close()).resolves.toBeUndefined();
  });

  it('does not claim to report sending through a dispatcher that is not undici’s', () => {
    const foreign = {
      dispatch: () => true,
      close: async () => undefined,
      destroy: async () => undefined,
    } as unknown as Dispatcher;
    expect(undiciTransport({ dispatcher: foreign }).reportsSent).toBe(false);
  });
});
