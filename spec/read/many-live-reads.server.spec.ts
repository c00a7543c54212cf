import { firstValueFrom, type Subscription } from 'rxjs';
import {
  DurableStreamsClient,
  type HttpTransport,
  type LiveMode,
  appendJson,
  createStream,
  headStream,
  readJson,
} from '../../lib/index';
import { transports } from '../support/real-server';
import { startWatchedServer, type WatchedServer } from '../support/watched-server';
import { until } from '../support/until';

const MODES: readonly LiveMode[] = ['long-poll', 'sse', 'auto'];
const READS = 200;
/**
 * What an append, head or read may take while the live reads are held. One stuck behind them waits for a live
 * request to end, which the server holds for 30 s; a loaded machine may take seconds for one that is not.
 */
const PROMPT_MS = 10_000;
jest.setTimeout(60_000);

/** Issue #13, item 1: many live reads on one client starve nothing, on either transport. */
describe.each(transports)('many live reads on one client (%s)', (_name, makeTransport) => {
  let server: WatchedServer;
  let transport: HttpTransport & { close?: () => Promise<void> };
  let otherTransport: HttpTransport & { close?: () => Promise<void> };
  let client: DurableStreamsClient;
  /** Another client on the same transport, as two default clients are. */
  let sibling: DurableStreamsClient;
  /** A client on a transport of its own. */
  let other: DurableStreamsClient;
  const subscriptions: Subscription[] = [];
  let prefix = 0;

  const make = (t: HttpTransport) =>
    new DurableStreamsClient({
      baseUrl: server.base,
      transport: t,
      timeoutMs: 8_000,
      retry: { initialDelayMs: 5, maxDelayMs: 50 },
    });

  beforeAll(async () => {
    // Long-polls the server holds for 30 s: in these specs a live request ends only when data comes or the client leaves.
    server = await startWatchedServer(30_000);
    transport = makeTransport();
    otherTransport = makeTransport();
    client = make(transport);
    sibling = make(transport);
    other = make(otherTransport);
  });
  afterEach(() => subscriptions.splice(0).forEach((s) => s.unsubscribe()));
  afterAll(async () => {
    await transport.close?.();
    await otherTransport.close?.();
    await server.close();
  });

  /** `count` new JSON streams, created through the other client. */
  async function streams(count: number): Promise<string[]> {
    const paths = Array.from({ length: count }, (_, i) => `many-${prefix}-${i}`);
    prefix++;
    await Promise.all(
      paths.map((path) => firstValueFrom(createStream(other.stream(path), { contentType: 'application/json' }))),
    );
    return paths;
  }

  /** Live reads of each path from its tail ('now'), modes in turn; the messages each received. */
  function tail(paths: readonly string[], reader = client): number[][] {
    const received = paths.map(() => [] as number[]);
    paths.forEach((path, i) => {
      const read = readJson<{ n: number }>(reader.stream(path), { live: MODES[i % MODES.length], from: 'now' });
      subscriptions.push(read.subscribe({ next: (batch) => received[i].push(...batch.items.map((item) => item.n)) }));
    });
    return received;
  }

  const liveAtServer = (count: number) =>
    until(
      async () => (await server.counts()).openReads >= count,
      async () => `${count} live requests at the server (${(await server.counts()).openReads})`,
      20_000,
    );

  const timed = async (operation: Promise<unknown>): Promise<number> => {
    const start = Date.now();
    await operation;
    return Date.now() - start;
  };

  it(`delivers to ${READS} live reads of ${READS} streams at once`, async () => {
    const paths = await streams(READS);
    const received = tail(paths);
    await liveAtServer(READS);
    await Promise.all(paths.map((path, n) => firstValueFrom(appendJson(other.stream(path), { n }))));
    await until(
      () => received.every((values) => values.length > 0),
      () => `every read to receive (${received.filter((values) => values.length > 0).length} of ${READS} did)`,
      15_000,
    );
    expect(received).toEqual(paths.map((_, n) => [n]));
  });

  it('completes appends and heads on this client, a sibling and another client while they are live', async () => {
    const paths = await streams(READS);
    tail(paths);
    await liveAtServer(READS);
    const [target] = await streams(1);
    for (const c of [client, sibling, other]) {
      const handle = c.stream(target);
      // One at a time, so each is measured alone; each took forever when live reads held the pool.
      expect(await timed(firstValueFrom(appendJson(handle, { n: 1 })))).toBeLessThan(PROMPT_MS);
      expect(await timed(firstValueFrom(headStream(handle)))).toBeLessThan(PROMPT_MS);
      expect(await timed(firstValueFrom(readJson(handle, { live: false })))).toBeLessThan(PROMPT_MS);
    }
  });

  it('leaves no socket and no request open at the server once every live read is unsubscribed', async () => {
    const paths = await streams(100);
    // A transport of its own, so no keep-alive socket of the earlier specs is counted; reads from 'now' go live at once.
    const fresh = makeTransport();
    try {
      const before = (await server.counts()).sockets;
      tail(paths, make(fresh));
      await liveAtServer(100);
      // A live request holds a socket of its own.
      expect((await server.counts()).sockets).toBeGreaterThanOrEqual(100);
      subscriptions.splice(0).forEach((s) => s.unsubscribe());
      let after = await server.counts();
      await until(
        async () => {
          after = await server.counts();
          return after.openReads === 0 && after.sockets <= before;
        },
        () =>
          `the reads' requests and sockets to close (${after.openReads} reads, ${after.sockets} sockets, ${before} before)`,
      );
    } finally {
      await fresh.close?.();
    }
  });
});
