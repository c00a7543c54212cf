import { firstValueFrom, lastValueFrom, toArray } from 'rxjs';
import {
  DurableStreamsClient,
  Offset,
  UnauthorizedError,
  idempotentProducer,
  readBytes,
  readText,
} from '../../lib/index';
import { useLoopbackServer } from '../support/loopback-server';
import { transports } from '../support/real-server';

const sseHeaders = { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' };

/**
 * A read or a producer that must learn the stream's content type does so
 * with a HEAD; that HEAD carries the caller's own headers and params (its
 * credentials), as every other request of the call does.
 */
describe.each(transports)(
  "the content-type HEAD carries the caller's headers and params (%s)",
  (_name, makeTransport) => {
    const loop = useLoopbackServer(makeTransport);
    const server = loop.server;
    const client = () =>
      new DurableStreamsClient({
        baseUrl: `${loop.base}/v1/stream`,
        transport: loop.transport,
        retry: { initialDelayMs: 1, maxDelayMs: 2 },
      });

    it("a text read's HEAD before its first SSE request carries the read's headers and params", async () => {
      server.answer((req, res) => {
        if (req.headers.authorization !== 'Bearer read' || !req.url?.includes('tenant=t1')) {
          res.writeHead(401, { 'content-type': 'text/plain' }).end('who are you?');
          return;
        }
        if (req.method === 'HEAD') {
          res.writeHead(200, { 'content-type': 'text/plain', 'stream-next-offset': '0_0' }).end();
          return;
        }
        res.writeHead(200, sseHeaders);
        res.end('event: control\ndata: {"streamNextOffset":"0_0","streamClosed":true}\n\n');
      });
      const chunks = await lastValueFrom(
        readText(client().stream('s'), {
          live: 'sse',
          from: Offset.now,
          headers: { authorization: 'Bearer read' },
          params: { tenant: 't1' },
        }).pipe(toArray()),
      );
      expect(chunks.map((c) => [c.text, c.closed])).toEqual([['', true]]);
      expect(server.requests.map((r) => [r.method, r.headers.authorization])).toEqual([
        ['HEAD', 'Bearer read'],
        ['GET', 'Bearer read'],
      ]);
    });

    it('the headers onError returns after a 401 reach that HEAD too', async () => {
      server.answer((req, res) => {
        if (req.headers.authorization !== 'Bearer fresh') {
          res.writeHead(401, { 'content-type': 'text/plain' }).end('expired');
          return;
        }
        if (req.method === 'HEAD') {
          res.writeHead(200, { 'content-type': 'application/octet-stream', 'stream-next-offset': '0_0' }).end();
          return;
        }
        res.writeHead(200, { ...sseHeaders, 'stream-sse-data-encoding': 'base64' });
        res.end('event: data\ndata: AQID\n\nevent: control\ndata: {"streamNextOffset":"0_3","streamClosed":true}\n\n');
      });
      const errors: unknown[] = [];
      const chunks = await lastValueFrom(
        readBytes(client().stream('s'), {
          live: 'auto',
          from: Offset.now,
          headers: { authorization: 'Bearer stale' },
          onError: (error) => (
            errors.push(error),
            error instanceof UnauthorizedError ? { headers: { authorization: 'Bearer fresh' } } : undefined
          ),
        }).pipe(toArray()),
      );
      expect(chunks.map((c) => [Array.from(c.data), c.closed])).toEqual([[[1, 2, 3], true]]);
      expect(errors).toHaveLength(1);
    });

    it("a producer's HEAD carries the producer's headers and params, as its POSTs do", async () => {
      server.answer((req, res) => {
        req.resume();
        if (req.headers.authorization !== 'Bearer p' || !req.url?.includes('tenant=t1')) {
          res.writeHead(401, { 'content-type': 'text/plain' }).end('who are you?');
          return;
        }
        res
          .writeHead(
            200,
            req.method === 'HEAD'
              ? { 'content-type': 'application/json', 'stream-next-offset': '0' }
              : { 'stream-next-offset': '1' },
          )
          .end();
      });
      const producer = idempotentProducer<string>(client().stream('s'), 'p', {
        headers: { authorization: 'Bearer p' },
        params: { tenant: 't1' },
        lingerMs: 0,
        retry: { maxRetries: 0 },
      });
      const errors: unknown[] = [];
      producer.errors$.subscribe((error) => errors.push(error));
      producer.append('a');
      await firstValueFrom(producer.finish()).catch(() => undefined);
      expect(errors).toEqual([]);
      expect(
        server.requests.map((r) => [
          r.method,
          r.headers.authorization,
          new URL(r.url, loop.base).searchParams.get('tenant'),
        ]),
      ).toEqual([
        ['HEAD', 'Bearer p', 't1'],
        ['POST', 'Bearer p', 't1'],
      ]);
    });
  },
);
