import { firstValueFrom, type Subscription } from 'rxjs';
import {
  DurableStreamsClient,
  fetchTransport,
  type ConnectionState,
  type DurableStream,
  type HttpTransport,
  type JsonBatch,
  appendJson,
  closeStream,
  createStream,
  readJson,
} from '../../lib/index';
import { undiciTransport } from '../../lib/undici';
import { startRestartableServer, type RestartableServer } from '../support/restartable-server';
import { until } from '../support/until';

const LIVE_MODES = ['long-poll', 'sse', 'auto'] as const;

/** One live reader: what it received, how it ended, and every connection state it told. */
interface Reader {
  readonly name: string;
  readonly received: number[];
  readonly states: ConnectionState[];
  error: unknown;
  completed: boolean;
  subscription: Subscription;
}

/**
 * Fault specs against the real server: the reference server, file-backed,
 * is killed with SIGKILL while readers tail a stream in every live mode over
 * both transports, stays down, and is restarted on the same port. Every
 * reader must end with every message exactly once, in order, and none may
 * error. Readers use the defaults but for a short backoff cap, so the spec
 * does not wait out a 10 s backoff after the restart.
 */
describe('live reads outlast a server outage (real server, SIGKILL and restart)', () => {
  let server: RestartableServer;
  const transports: Array<HttpTransport & { close?: () => Promise<void> }> = [];

  beforeAll(async () => {
    server = await startRestartableServer({ longPollTimeoutMs: 2_000 });
  });
  afterAll(async () => {
    await Promise.all(transports.map(async (t) => t.close?.()));
    await server.close();
  });

  function client(transport: HttpTransport & { close?: () => Promise<void> }): DurableStreamsClient {
    transports.push(transport);
    return new DurableStreamsClient({
      baseUrl: server.streamBase,
      transport,
      retry: { initialDelayMs: 50, maxDelayMs: 1_000 },
    });
  }

  function startReaders(path: string): Reader[] {
    const clients = [
      ['undici', client(undiciTransport())],
      ['fetch', client(fetchTransport())],
    ] as const;
    return LIVE_MODES.flatMap((live) =>
      clients.map(([name, c]) => {
        const reader: Reader = {
          name: `${live}/${name}`,
          received: [],
          states: [],
          error: undefined,
          completed: false,
          subscription: undefined!,
        };
        reader.subscription = readJson<{ n: number }>(c.stream(path), {
          live,
          connectionState: { next: (state) => reader.states.push(state) },
        }).subscribe({
          next: (batch: JsonBatch<{ n: number }>) => reader.received.push(...batch.items.map((item) => item.n)),
          error: (error: unknown) => (reader.error = error),
          complete: () => (reader.completed = true),
        });
        return reader;
      }),
    );
  }

  /** Writes values `from`..`to` (exclusive) with plain appends, one at a time. */
  async function write(stream: DurableStream, from: number, to: number): Promise<void> {
    for (let n = from; n < to; n++) await firstValueFrom(appendJson(stream, { n }));
  }

  async function survive(downMs: number): Promise<void> {
    const writer = client(undiciTransport());
    const path = `outage-${downMs}-${Date.now().toString(36)}`;
    const stream = writer.stream(path);
    await firstValueFrom(createStream(stream, { contentType: 'application/json' }));
    await write(stream, 0, 20);

    const readers = startReaders(path);
    try {
      await until(() => readers.every((r) => r.received.length === 20), 'every reader to catch up', 15_000);
      await until(() => readers.every((r) => r.states.at(-1)?.status === 'live'), 'every reader to be live', 15_000);
      // Live, mid-tail: some writes the readers see live, then the crash.
      await write(stream, 20, 40);
      await until(() => readers.every((r) => r.received.length === 40), 'the live messages', 15_000);

      await server.outage(downMs);

      // Nothing was lost by the crash; the readers reconnect and tail on.
      await write(stream, 40, 60);
      await firstValueFrom(closeStream(stream));
      await until(
        () => readers.every((r) => r.completed || r.error !== undefined),
        'every reader to reach EOF',
        30_000,
      );
    } finally {
      for (const reader of readers) reader.subscription.unsubscribe();
    }

    const expected = Array.from({ length: 60 }, (_, n) => n);
    for (const reader of readers) {
      expect({ reader: reader.name, error: reader.error, received: reader.received }).toEqual({
        reader: reader.name,
        error: undefined,
        received: expected,
      });
      const statuses = reader.states.map((s) => s.status);
      // The outage was observable: the reader said it was reconnecting, then live again, then closed.
      expect({ reader: reader.name, reconnected: statuses.includes('reconnecting'), last: statuses.at(-1) }).toEqual({
        reader: reader.name,
        reconnected: true,
        last: 'closed',
      });
    }
  }

  it('a 10 s outage mid-tail (long-poll, SSE and auto; undici and fetch)', () => survive(10_000), 90_000);

  it('a 60 s outage mid-tail, every live mode at once', () => survive(60_000), 150_000);
});
