import { firstValueFrom, from, toArray } from 'rxjs';
import { NetworkError, TimeoutError, type HttpTransport } from '../../lib/index';
import { exchange } from '../../lib/transport/exchange';
import { useLoopbackServer, type LoopbackServer } from '../support/loopback-server';
import { refusedPort, transports } from '../support/real-server';
import { sleep, until } from '../support/until';

/** Whether the response to the request for `url` has closed (finished, or aborted by the client). */
const closed = (server: LoopbackServer, url: string) =>
  server.requests.some((request) => request.url === url && request.closedAt !== undefined);

describe.each(transports)('HttpTransport contract (%s)', (_name, makeTransport) => {
  const loop = useLoopbackServer(makeTransport);
  const server = loop.server;

  it('delivers status, lower-case headers and the body as text', async () => {
    server.answer((_req, res) => {
      res.writeHead(201, { 'Stream-Next-Offset': 'o1', 'X-Multi': ['a', 'b'] });
      res.end('héllo');
    });
    const result = await firstValueFrom(
      exchange(loop.transport, { method: 'GET', url: `${loop.base}/t`, headers: {} }, async (response) => ({
        status: response.status,
        offset: response.headers.get('stream-next-offset'),
        multi: response.headers.get('x-multi'),
        names: [...response.headers.entries()].map(([name]) => name),
        text: await response.body.text(),
      })),
    );
    expect(result).toMatchObject({ status: 201, offset: 'o1', text: 'héllo' });
    expect(result.multi).toMatch(/^a, ?b$/);
    expect(result.names).toContain('stream-next-offset');
  });

  it('sends the method, headers and a byte body', async () => {
    let seen: { method?: string; type?: string; body?: number[] } = {};
    server.answer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        seen = { method: req.method, type: req.headers['content-type'], body: [...Buffer.concat(chunks)] };
        res.writeHead(204).end();
      });
    });
    await firstValueFrom(
      exchange(
        loop.transport,
        {
          method: 'POST',
          url: `${loop.base}/p`,
          headers: { 'content-type': 'application/octet-stream' },
          body: new Uint8Array([0, 255, 7]),
        },
        (r) => [r.status],
      ),
    );
    expect(seen).toEqual({ method: 'POST', type: 'application/octet-stream', body: [0, 255, 7] });
  });

  it('streams the body as it arrives', async () => {
    server.answer((_req, res) => {
      res.writeHead(200);
      res.write('one');
      setTimeout(() => res.end('two'), 30);
    });
    const parts = await firstValueFrom(
      exchange(loop.transport, { method: 'GET', url: `${loop.base}/s`, headers: {} }, (r) =>
        from(r.body.stream()),
      ).pipe(toArray()),
    );
    expect(Buffer.concat(parts).toString()).toBe('onetwo');
  });

  it('aborts the request at once when unsubscribed while waiting for headers', async () => {
    server.answer(() => undefined); // never answers
    const subscription = exchange(
      loop.transport,
      { method: 'GET', url: `${loop.base}/hang`, headers: {} },
      () => [],
    ).subscribe();
    await sleep(30);
    expect(closed(server, '/hang')).toBe(false);
    subscription.unsubscribe();
    await until(() => closed(server, '/hang'), 'the request for /hang to close', 5_000);
  });

  it('aborts a streaming body when unsubscribed mid-body', async () => {
    server.answer((_req, res) => {
      res.writeHead(200);
      res.write('first');
    });
    const received: Uint8Array[] = [];
    const subscription = exchange(loop.transport, { method: 'GET', url: `${loop.base}/body`, headers: {} }, (r) =>
      from(r.body.stream()),
    ).subscribe((c) => received.push(c));
    await until(() => received.length > 0, 'the first body chunk', 2_000);
    subscription.unsubscribe();
    await until(() => closed(server, '/body'), 'the request for /body to close', 5_000);
  });

  it('maps a refused connection to a NetworkError marked not sent', async () => {
    const error = await firstValueFrom(
      exchange(
        loop.transport,
        { method: 'GET', url: `http://127.0.0.1:${await refusedPort()}/x?offset=secret`, headers: {} },
        () => [1],
      ),
    ).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(NetworkError);
    expect(error).toMatchObject({ notSent: true, status: 0 });
    expect((error as Error).message).not.toContain('secret');
  });

  it('maps a reset connection to a NetworkError that may have been sent', async () => {
    server.answer((req) => req.socket.destroy());
    const error = await firstValueFrom(
      exchange(loop.transport, { method: 'POST', url: `${loop.base}/reset`, headers: {}, body: 'x' }, () => [1]),
    ).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(NetworkError);
    expect((error as NetworkError).notSent).toBe(false);
  });

  it('times out waiting for headers with a TimeoutError, and aborts', async () => {
    server.answer(() => undefined);
    const error = await firstValueFrom(
      exchange(loop.transport, { method: 'GET', url: `${loop.base}/slow`, headers: {} }, () => [1], { timeoutMs: 50 }),
    ).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TimeoutError);
    expect(error).toMatchObject({ timeoutMs: 50 });
    await until(() => closed(server, '/slow'), 'the request for /slow to close', 5_000);
  });

  it('reports an error thrown while consuming the response, instead of hanging', async () => {
    server.answer((_req, res) => res.end('body'));
    const failure = new Error('consumer broke');
    await expect(
      firstValueFrom(
        exchange(loop.transport, { method: 'GET', url: `${loop.base}/consume`, headers: {} }, () => {
          throw failure;
        }),
      ),
    ).rejects.toMatchObject({ name: 'NetworkError' });
  });

  it.each([
    ['an array', (status: number) => [status]],
    ['a promise', (status: number) => Promise.resolve(status)],
  ])('does not abort a finished request when unsubscribed on its value (consume gives %s)', async (_kind, give) => {
    server.answer((_req, res) => res.writeHead(204).end());
    const signals: AbortSignal[] = [];
    const spy: HttpTransport = {
      request: (request) => {
        signals.push(request.signal);
        return loop.transport.request(request);
      },
    };
    const status = await firstValueFrom(
      exchange(spy, { method: 'POST', url: `${loop.base}/done`, headers: {}, body: 'x' }, (r) => {
        void r.body.dump();
        return give(r.status);
      }),
    );
    expect(status).toBe(204);
    expect(signals).toHaveLength(1);
    expect(signals[0].aborted).toBe(false);
  });

  it('sends nothing before subscribe', async () => {
    let requests = 0;
    server.answer((_req, res) => {
      requests++;
      res.end();
    });
    const lazy = exchange(loop.transport, { method: 'GET', url: `${loop.base}/lazy`, headers: {} }, () => [1]);
    await sleep(30);
    expect(requests).toBe(0);
    await firstValueFrom(lazy);
    await firstValueFrom(lazy);
    expect(requests).toBe(2);
  });
});
