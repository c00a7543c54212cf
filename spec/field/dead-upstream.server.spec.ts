import { firstValueFrom, type Subscription } from 'rxjs';
import {
  appendJson,
  createStream,
  DurableStreamsClient,
  readJson,
  TimeoutError,
  type ConnectionState,
} from '../../lib/index';
import { LIVENESS_FACTOR } from '../../lib/read/liveness';
import { undiciTransport } from '../../lib/undici';
import { startHoldingProxy, type HoldingProxy } from '../support/holding-proxy';
import { startRestartableServer, type RestartableServer } from '../support/restartable-server';
import { sleep, until } from '../support/until';

/** The server's long-poll hold, which is also its SSE keep-alive interval. */
const KEEP_ALIVE_MS = 4_000;
const BOUND_MS = KEEP_ALIVE_MS * LIVENESS_FACTOR;
/**
 * Timers and a loaded machine: how late a keep-alive may come (the read learns the longest interval it saw, so
 * its bound grows by LIVENESS_FACTOR times that), and what a read may take beyond its bound to notice.
 */
const SLACK_MS = 1_500;

/**
 * A dead server behind a proxy that keeps the client's connection open
 * (issue #22, item 8): the file-backed reference server in a child process
 * is SIGKILLed under a live read made through a loopback proxy that holds
 * exchanges in flight instead of ending them. Nothing reaches the client,
 * neither an error nor an end; only the silence tells. The read learned
 * that the server proves it is alive every 4 s, so it must leave 'live'
 * within 1.5 times that, reconnect with backoff (the proxy answers 502 while
 * the server is down), and go on after the restart without losing or
 * repeating a value. Without the learned bound it stayed 'live' for the
 * request timeout (the client's timeoutMs + 60 s).
 */
describe.each(['sse', 'long-poll'] as const)('a dead server behind a proxy that holds connections (%s)', (live) => {
  let server: RestartableServer;
  let proxy: HoldingProxy;
  const transport = undiciTransport();
  beforeAll(async () => {
    server = await startRestartableServer({ longPollTimeoutMs: KEEP_ALIVE_MS });
    proxy = await startHoldingProxy(server.url);
  });
  afterAll(async () => {
    await transport.close();
    await proxy.close();
    await server.close();
  });

  it(`leaves 'live' within ${LIVENESS_FACTOR}x the server's keep-alive interval, reconnects, and loses or repeats nothing`, async () => {
    const client = new DurableStreamsClient({
      baseUrl: `${proxy.origin}/v1/stream`,
      transport,
      retry: { initialDelayMs: 100, maxDelayMs: 500 },
    });
    const path = `dead-upstream-${live}-${Date.now().toString(36)}`;
    const writer = new DurableStreamsClient({ baseUrl: server.streamBase, transport }).stream<number>(path);
    await firstValueFrom(createStream(writer, { contentType: 'application/json' }));
    await firstValueFrom(appendJson(writer, 1));

    const received: unknown[] = [];
    const states: Array<ConnectionState & { at: number }> = [];
    let failure: unknown;
    const subscription: Subscription = readJson(client.stream<number>(path), {
      live,
      connectionState: { next: (state) => states.push({ ...state, at: Date.now() }) },
    }).subscribe({ next: (batch) => received.push(...batch.items), error: (error: unknown) => (failure = error) });
    try {
      const status = () => states.at(-1)?.status;
      await until(() => received.length === 1 && status() === 'live', 'the read to go live', 10_000);
      await firstValueFrom(appendJson(writer, 2));
      await until(() => received.length === 2, 'a live value', 10_000);
      // Two of the server's intervals with nothing to send: the read has seen it prove it is alive.
      await sleep(2 * KEEP_ALIVE_MS + 500);
      expect(status()).toBe('live');

      const killedAt = Date.now();
      await server.kill();
      await until(() => status() !== 'live', "the state to leave 'live'", BOUND_MS + 10_000);
      const noticedAfter = Date.now() - killedAt;
      expect(proxy.held).toBeGreaterThanOrEqual(1); // the proxy did hold the exchange: only silence told
      const left = states.find((state) => state.status === 'reconnecting' && state.at >= killedAt);
      expect(left).toMatchObject({ status: 'reconnecting', attempt: 1 });
      const silence = (left as { error: unknown }).error;
      expect(silence).toBeInstanceOf(TimeoutError);
      // The bound it cut the silence at: learned from the keep-alives, not the request's timeout.
      const boundMs = (silence as TimeoutError).timeoutMs;
      expect(boundMs).toBeGreaterThanOrEqual(BOUND_MS);
      expect(boundMs).toBeLessThanOrEqual((KEEP_ALIVE_MS + SLACK_MS) * LIVENESS_FACTOR);
      expect(noticedAfter).toBeLessThanOrEqual(boundMs + SLACK_MS);

      await server.restart();
      await firstValueFrom(appendJson(writer, 3));
      await until(() => received.length >= 3 && status() === 'live', 'the read to be live again', 20_000);
      await sleep(300);
      expect(received).toEqual([1, 2, 3]);
      expect(failure).toBeUndefined();
    } finally {
      subscription.unsubscribe();
    }
  }, 60_000);
});
