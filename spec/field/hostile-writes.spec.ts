import { firstValueFrom } from 'rxjs';
import {
  DurableStreamsClient,
  InvalidArgumentError,
  NetworkError,
  ProtocolError,
  ServerError,
  TimeoutError,
  append,
  appendJson,
  closeStream,
  createStream,
  headStream,
} from '../../lib/index';
import { bothTransports, hanging, script, spaFallback, stallBody, useHostileServer } from '../support/hostile-answers';
import { LoopbackServer } from '../support/loopback-server';
import { until } from '../support/until';

const protocolHeaders = { 'stream-next-offset': '0001', 'content-type': 'text/plain' };

/**
 * One-shot operations against answers that are not the protocol's (a wrong
 * base URL, an SPA's fallback route), bodies that stall, errors whose body
 * never comes. Never a silent success, never a hang, and messages that say
 * what happened, retries included.
 */
describe.each(bothTransports)('one-shot operations against hostile answers (%s)', (_name, makeTransport) => {
  // Well above a loopback answer's time on a loaded machine: answers are scripted by their number.
  const fixture = useHostileServer(makeTransport, {
    timeoutMs: 1_000,
    retry: { initialDelayMs: 10, maxDelayMs: 40, maxRetries: 2 },
  });
  let server: LoopbackServer;
  let client: DurableStreamsClient;
  beforeEach(() => ({ server, client } = fixture));

  const stream = () => client.stream('s', { contentType: 'text/plain' });
  const failure = (promise: Promise<unknown>) =>
    promise.then(
      () => undefined,
      (error: unknown) => error,
    );

  describe('an answer without the protocol headers is a ProtocolError, never a success', () => {
    const operations = [
      ['append', () => append(stream(), 'x')],
      ['appendJson', () => appendJson(client.stream('j', { contentType: 'application/json' }), { x: 1 })],
      ['create', () => createStream(stream(), { contentType: 'text/plain' })],
      ['close', () => closeStream(stream())],
      ['close with a body', () => closeStream(stream(), { body: 'last' })],
      ['head', () => headStream(stream())],
    ] as const;

    it.each(operations)('%s answered by an SPA fallback (200 text/html)', async (_op, run) => {
      script(server, (_req, res) => spaFallback(res));
      const error = await failure(firstValueFrom<unknown>(run()));
      expect(error).toBeInstanceOf(ProtocolError);
      expect((error as ProtocolError).message).toMatch(/not a Durable Streams/i);
      expect((error as ProtocolError).status).toBe(200);
      // Not a transient failure: asked once.
      expect(server.requests).toHaveLength(1);
    });

    it.each(operations)('%s answered by a bare 204 (a wrong base URL on a catch-all)', async (_op, run) => {
      script(server, (_req, res) => void res.writeHead(204).end());
      expect(await failure(firstValueFrom<unknown>(run()))).toBeInstanceOf(ProtocolError);
    });

    it('a protocol answer still succeeds (the check reads the headers, not the status)', async () => {
      script(server, (_req, res) => void res.writeHead(204, protocolHeaders).end());
      await expect(firstValueFrom(append(stream(), 'x'))).resolves.toEqual({ nextOffset: '0001' });
    });
  });

  describe('bodies that stall', () => {
    it('an append whose (unneeded) answer body stalls succeeds by its headers, and the stalled connection is closed, not kept', async () => {
      script(server, (_req, res) => stallBody(res, 200, protocolHeaders, 'x'));
      await expect(firstValueFrom(append(stream(), 'x'))).resolves.toEqual({ nextOffset: '0001' });
      expect(server.requests).toHaveLength(1);
      await until(() => hanging(server).length === 0, 'the stalled answer to be abandoned', 2_000);
    });

    it('a create whose 503 body never comes times out (the error body is bounded too), is retried, and succeeds', async () => {
      script(server, (_req, res, index) =>
        index === 0
          ? stallBody(res, 503, { 'content-type': 'text/plain' }, 'over')
          : void res.writeHead(201, protocolHeaders).end(),
      );
      await expect(firstValueFrom(createStream(stream(), { contentType: 'text/plain' }))).resolves.toMatchObject({
        nextOffset: '0001',
        created: true,
      });
      expect(server.requests).toHaveLength(2);
    });

    it('a head whose headers never come times out every time, gives up after maxRetries and says how often it tried', async () => {
      script(server, () => undefined);
      const error = await failure(firstValueFrom(headStream(stream())));
      expect(error).toBeInstanceOf(TimeoutError);
      expect(error).toMatchObject({ attempts: 3 });
      expect(server.requests).toHaveLength(3);
      expect((error as Error).message).toMatch(/Failed 3 attempts over [\d.]+ s; gave up \(retry\.maxRetries is 2\)/);
    });
  });

  describe('messages tell the truth about retries', () => {
    it('a plain append after a 500 is not retried, and the message says why and what to do', async () => {
      script(server, (_req, res) => void res.writeHead(500, { 'content-type': 'text/plain' }).end('boom'));
      const error = await failure(firstValueFrom(append(stream(), 'x')));
      expect(error).toBeInstanceOf(ServerError);
      expect(server.requests).toHaveLength(1);
      expect((error as Error).message).not.toMatch(/retried automatically/i);
      expect((error as Error).message).toMatch(/not retried/i);
      expect((error as Error).message).toMatch(/at-least-once|producer/);
    });

    it("close({ body, delivery: 'at-least-once' }) retries after a 500 too; close({ body }) does not", async () => {
      script(server, (_req, res, index) =>
        index === 0
          ? void res.writeHead(500).end('boom')
          : void res.writeHead(204, { ...protocolHeaders, 'stream-closed': 'true' }).end(),
      );
      await expect(firstValueFrom(closeStream(stream(), { body: 'last', delivery: 'at-least-once' }))).resolves.toEqual(
        { finalOffset: '0001' },
      );
      expect(server.requests).toHaveLength(2);
      script(server, (_req, res) => void res.writeHead(500).end('boom'));
      await expect(firstValueFrom(closeStream(stream(), { body: 'last' }))).rejects.toBeInstanceOf(ServerError);
      expect(server.requests).toHaveLength(3);
    });

    it("append({ delivery: 'at-least-once' }) retries after a 500", async () => {
      script(server, (_req, res, index) =>
        index === 0 ? void res.writeHead(500).end('boom') : void res.writeHead(204, protocolHeaders).end(),
      );
      await expect(firstValueFrom(append(stream(), 'x', { delivery: 'at-least-once' }))).resolves.toEqual({
        nextOffset: '0001',
      });
      expect(server.requests).toHaveLength(2);
    });

    it('a head that failed on every attempt says it was retried, and how often', async () => {
      script(server, (_req, res) => void res.writeHead(503).end());
      const error = await failure(firstValueFrom(headStream(stream())));
      expect(error).toBeInstanceOf(ServerError);
      expect(server.requests).toHaveLength(3);
      expect((error as Error).message).toMatch(/3 attempts/);
    });

    it('a network error on a plain append after the request left is not retried, and says so', async () => {
      script(server, (req) => req.socket.destroy());
      const error = await failure(firstValueFrom(append(stream(), 'x')));
      expect(error).toBeInstanceOf(NetworkError);
      expect(server.requests).toHaveLength(1);
      expect((error as Error).message).toMatch(/not retried/i);
    });
  });
});

describe('delivery', () => {
  it('is at-most-once or at-least-once; anything else is refused at the call, before any request', () => {
    const requests: unknown[] = [];
    const client = new DurableStreamsClient({
      baseUrl: 'http://x.test/v1/stream',
      transport: { request: async (r) => (requests.push(r), Promise.reject(new Error('unused'))) },
    });
    const call = () => append(client.stream('s', { contentType: 'text/plain' }), 'x', { delivery: 'twice' as never });
    expect(call).toThrow(InvalidArgumentError);
    expect(call).toThrow(/delivery must be 'at-most-once' or 'at-least-once'/);
    expect(requests).toEqual([]);
  });
});
