import { lastValueFrom, toArray, type Observable } from 'rxjs';
import {
  DurableStreamsClient,
  InvalidArgumentError,
  Offset,
  ServerError,
  SseUnavailableError,
  readJson,
} from '../../lib/index';
import { useLoopbackServer } from '../support/loopback-server';
import { transports } from '../support/real-server';
import { until } from '../support/until';

const failure = <T>(source: Observable<T>) =>
  lastValueFrom(source.pipe(toArray())).then(
    () => {
      throw new Error('expected the read to fail');
    },
    (error: unknown) => error,
  );

/** The errors a read raises: they name the stream, never a token its URL carries, and cost bounded memory and time. */
describe.each(transports)('read errors (%s)', (_name, makeTransport) => {
  const loop = useLoopbackServer(makeTransport);
  const server = loop.server;
  const client = () =>
    new DurableStreamsClient({
      baseUrl: `${loop.base}/v1/stream`,
      transport: loop.transport,
      retry: { maxRetries: 0 },
    });

  it('errors raised by the read itself name the stream without the query its URL carries', async () => {
    server.answer((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.flushHeaders(); // ...and never an event
    });
    const stream = client().stream(`${loop.base}/v1/stream/s?token=secret`);
    const silent = await failure(readJson(stream, { live: 'sse', from: Offset.now, sseIdleTimeoutMs: 100 }));
    expect(silent).toBeInstanceOf(SseUnavailableError);
    expect((silent as SseUnavailableError).url).toBe(`${loop.base}/v1/stream/s`);
    expect((silent as Error).message).not.toContain('secret');
    let invalid: unknown;
    try {
      readJson(stream, { from: '' });
    } catch (error) {
      invalid = error;
    }
    expect(invalid).toBeInstanceOf(InvalidArgumentError);
    expect((invalid as Error).message).not.toContain('secret');
    expect((invalid as InvalidArgumentError).url).toBe(`${loop.base}/v1/stream/s`);
  });

  it("an error response's body is read only as far as the error needs: an endless one does not hang the read", async () => {
    server.answer((_req, res) => {
      res.writeHead(503, { 'content-type': 'text/plain' });
      const line = 'overloaded '.repeat(1_000);
      const timer = setInterval(() => res.write(line), 5);
      res.on('close', () => clearInterval(timer));
    });
    const error = await failure(readJson(client().stream('s'), { live: false }));
    expect(error).toBeInstanceOf(ServerError);
    expect((error as ServerError).detail!.length).toBeLessThanOrEqual(4096);
    expect((error as ServerError).detail).toContain('overloaded');
    await until(() => server.requests[0]?.closedAt !== undefined, 'the error response to be released', 5_000);
  });
});
