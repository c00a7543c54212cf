import { createServer, type Server } from 'node:http';
import { connect, type Socket } from 'node:net';
import { DurableStreamsClient } from '../../lib/index';
import { webhookReceiver, type WebhookReceiverOptions } from '../../lib/subscriptions';
import { memoryResponse } from '../support/memory-response';

/** A receiver's listener on a loopback port; its client never needs the network in these specs. */
async function listening(options: Partial<WebhookReceiverOptions>): Promise<{ port: number; server: Server }> {
  const client = new DurableStreamsClient({
    baseUrl: 'http://streams.test/v1/stream',
    transport: { request: () => Promise.resolve(memoryResponse(500)) },
  });
  const receiver = webhookReceiver(client, { handler: () => [], ...options });
  const server = createServer(receiver.listener);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  server.on('close', () => receiver.close());
  return { port: (server.address() as { port: number }).port, server };
}

/** A client that sends its headers and part of a body, then nothing: what the server answers, and when the socket closed. */
function slowClient(
  port: number,
  bodyStart = '{"subscription_id":',
): Promise<{ answer: string; closedAfterMs: number }> {
  return new Promise((resolve, reject) => {
    const started = Date.now();
    let answer = '';
    const socket: Socket = connect(port, '127.0.0.1', () =>
      socket.write(
        'POST /hooks HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: 4096\r\n\r\n' +
          bodyStart,
      ),
    );
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => (answer += chunk));
    socket.on('error', reject);
    socket.on('close', () => resolve({ answer, closedAfterMs: Date.now() - started }));
  });
}

describe("the webhook receiver's listener", () => {
  it('closes 200 connections that send headers and then trickle nothing, once bodyTimeoutMs has passed', async () => {
    const { port, server } = await listening({ bodyTimeoutMs: 300 });
    try {
      const clients = await Promise.all(Array.from({ length: 200 }, () => slowClient(port)));
      for (const { answer, closedAfterMs } of clients) {
        expect(answer).toMatch(/^HTTP\/1\.1 408 /);
        expect(answer).toContain('{"error":{"code":"BODY_TIMEOUT"}}');
        expect(closedAfterMs).toBeGreaterThanOrEqual(290);
      }
      expect(Math.max(...clients.map((client) => client.closedAfterMs))).toBeLessThan(3_000);
      const open = await new Promise<number>((resolve, reject) =>
        server.getConnections((error, count) => (error ? reject(error) : resolve(count))),
      );
      expect(open).toBe(0);
    } finally {
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });

  it('answers 413 to a body over maxBodyBytes, reads no more of it and closes the connection', async () => {
    const { port, server } = await listening({ maxBodyBytes: 1024 });
    try {
      const { answer, closedAfterMs } = await slowClient(port, 'x'.repeat(2000));
      expect(answer).toMatch(/^HTTP\/1\.1 413 /);
      expect(answer).toContain('PAYLOAD_TOO_LARGE');
      expect(closedAfterMs).toBeLessThan(2_000);
    } finally {
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });

  it('answers a body that arrives whole in time: 401 for an unsigned one, 405 to another method', async () => {
    const { port, server } = await listening({ bodyTimeoutMs: 300 });
    try {
      const unsigned = await fetch(`http://127.0.0.1:${port}/hooks`, { method: 'POST', body: '{}' });
      expect(unsigned.status).toBe(401);
      expect((await fetch(`http://127.0.0.1:${port}/hooks`)).status).toBe(405);
    } finally {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });
});
