import { catchError, lastValueFrom, of, toArray } from 'rxjs';
import {
  DurableStreamsClient,
  NetworkError,
  Offset,
  SseUnavailableError,
  type JsonBatch,
  readJson,
} from '../../lib/index';
import { useLoopbackServer } from '../support/loopback-server';
import { transports } from '../support/real-server';

const sseHeaders = { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' };

/**
 * An SSE connection cut before its first event says SSE does not get
 * through (a proxy that breaks streamed responses): `'auto'` falls back to
 * long-poll. One cut after events have arrived says nothing about SSE: it is
 * a network failure, retried as one.
 */
describe.each(transports)('SSE connections cut by the network (%s)', (_name, makeTransport) => {
  const loop = useLoopbackServer(makeTransport);
  const server = loop.server;
  const client = (maxRetries = 6) =>
    new DurableStreamsClient({
      baseUrl: `${loop.base}/v1/stream`,
      transport: loop.transport,
      retry: { initialDelayMs: 1, maxDelayMs: 2, maxRetries },
    });

  it("'auto' falls back to long-poll when the connection is cut before its first event, as when it ends cleanly", async () => {
    server.answer((req, res) => {
      if (req.url?.includes('live=sse')) {
        res.writeHead(200, sseHeaders);
        res.flushHeaders();
        setTimeout(() => res.socket?.destroy(), 20); // a proxy that cuts streamed responses
        return;
      }
      res.writeHead(204, { 'stream-next-offset': '0_5', 'stream-up-to-date': 'true', 'stream-closed': 'true' }).end();
    });
    const batches = await lastValueFrom(
      readJson(client().stream('s'), { live: 'auto', from: Offset.now }).pipe(toArray()),
    );
    expect(batches.map((b) => [b.offset, b.closed])).toEqual([['0_5', true]]);
    expect(server.requests.map((r) => new URL(r.url, loop.base).searchParams.get('live'))).toEqual([
      'sse',
      'long-poll',
    ]);
  });

  it('a connection cut after its first event fails as a NetworkError, not as SSE being unavailable', async () => {
    server.answer((_req, res) => {
      res.writeHead(200, sseHeaders);
      res.write('event: data\ndata: [1]\n\nevent: control\ndata: {"streamNextOffset":"0_1","upToDate":true}\n\n');
      setTimeout(() => res.socket?.destroy(), 50);
    });
    const seen: Array<JsonBatch | Error> = [];
    await lastValueFrom(
      readJson(client(0).stream('s'), { live: 'sse', from: Offset.now }).pipe(
        catchError((error: Error) => of(error)),
        toArray(),
      ),
    ).then((values) => seen.push(...values));
    expect(seen).toHaveLength(2);
    expect((seen[0] as JsonBatch).items).toEqual([1]);
    expect(seen[1]).toBeInstanceOf(NetworkError);
    expect(seen[1]).not.toBeInstanceOf(SseUnavailableError);
  });
});
