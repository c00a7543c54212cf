import { lastValueFrom, tap, toArray } from 'rxjs';
import {
  DurableStreamsClient,
  items,
  ProtocolError,
  TimeoutError,
  type ConnectionState,
  type ReadOptions,
  readJson,
} from '../../lib/index';
import {
  bothTransports,
  hanging,
  readAnswer,
  readHeaders,
  script,
  sseControl,
  sseData,
  sseHead,
  spaFallback,
  stallBody,
  useHostileServer,
} from '../support/hostile-answers';
import { LoopbackServer } from '../support/loopback-server';
import { sleep, until } from '../support/until';

/**
 * The client's request timeout, and the SSE idle bound: what a stalled answer or a silent connection takes to be
 * noticed. Answers are scripted by their number, so a well-behaved one that a loaded machine delays past it would
 * shift the script: well above a loopback answer's time, and short enough to keep the stalls quick.
 */
const TIMEOUT_MS = 1_000;
const offsetOf = (url: string) => new URL(url, 'http://x').searchParams.get('offset');
const liveOf = (url: string) => new URL(url, 'http://x').searchParams.get('live');

/**
 * Reads against a server that misbehaves: bodies that stop halfway, error
 * bodies that never come, offsets that go backwards or never advance, plain
 * 200s, SSE data without end. Nothing may hang, spin, duplicate or drop data.
 */
describe.each(bothTransports)('reads against hostile answers (%s)', (_name, makeTransport) => {
  const fixture = useHostileServer(makeTransport, {
    timeoutMs: TIMEOUT_MS,
    retry: { initialDelayMs: 10, maxDelayMs: 40 },
  });
  let server: LoopbackServer;
  let client: DurableStreamsClient;
  beforeEach(() => ({ server, client } = fixture));

  function read(options: ReadOptions = {}): { values: Promise<unknown[]>; states: ConnectionState[] } {
    const states: ConnectionState[] = [];
    const values = lastValueFrom(
      readJson(client.stream('s'), { ...options, connectionState: { next: (state) => states.push(state) } }).pipe(
        items(),
        toArray(),
      ),
    );
    return { values, states };
  }

  it('a catch-up body that stops halfway becomes a TimeoutError (body) and the read resumes from its last offset', async () => {
    script(server, (_req, res, index) => {
      if (index === 0) return readAnswer(res, '0001', '[1]');
      if (index === 1) return stallBody(res, 200, readHeaders('0002', { upToDate: true }), '[2');
      return readAnswer(res, '0002', '[2]', { upToDate: true });
    });
    const { values, states } = read({ live: false });
    await expect(values).resolves.toEqual([1, 2]);
    expect(server.requests.map((r) => offsetOf(r.url))).toEqual(['-1', '0001', '0001']);
    // The stalled response was abandoned: its connection is closed, not left hanging.
    await until(() => hanging(server).length === 0, 'the stalled connection to close', 2_000);
    const reconnecting = states.find((s) => s.status === 'reconnecting');
    expect(reconnecting).toMatchObject({ status: 'reconnecting', attempt: 1 });
    const error = (reconnecting as { error: unknown }).error;
    expect(error).toBeInstanceOf(TimeoutError);
    expect(error).toMatchObject({ phase: 'body', timeoutMs: TIMEOUT_MS });
  });

  it('a long-poll body that stops halfway is retried from the last offset', async () => {
    script(server, (_req, res, index) => {
      if (index === 0) return readAnswer(res, '0001', '[1]', { upToDate: true });
      if (index === 1) return stallBody(res, 200, readHeaders('0002', { upToDate: true }), '[2');
      return readAnswer(res, '0002', '[2]', { upToDate: true, closed: true });
    });
    await expect(read({ live: 'long-poll' }).values).resolves.toEqual([1, 2]);
    expect(liveOf(server.requests[1].url)).toBe('long-poll');
    expect(server.requests.slice(1).map((r) => offsetOf(r.url))).toEqual(['0001', '0001']);
  });

  it('a 503 whose body never comes is a TimeoutError, retried', async () => {
    script(server, (_req, res, index) => {
      if (index === 0) return stallBody(res, 503, { 'content-type': 'text/plain' }, '');
      return readAnswer(res, '0001', '[1]', { upToDate: true });
    });
    await expect(read({ live: false }).values).resolves.toEqual([1]);
    expect(server.requests).toHaveLength(2);
  });

  it('an offset that goes backwards is not taken: the read re-reads from its last good offset and delivers nothing twice', async () => {
    script(server, (_req, res, index) => {
      if (index === 0) return readAnswer(res, '0002', '[1,2]');
      // A file-backed server that served a frame before committing its offset.
      if (index === 1) return readAnswer(res, '0001', '[2]', { upToDate: true });
      return readAnswer(res, '0003', '[3]', { upToDate: true });
    });
    await expect(read({ live: false }).values).resolves.toEqual([1, 2, 3]);
    expect(server.requests.map((r) => offsetOf(r.url))).toEqual(['-1', '0002', '0002']);
  });

  it('an offset that never advances (empty answers without up-to-date) is a ProtocolError after a bounded number of answers, with growing waits', async () => {
    script(server, (_req, res) => readAnswer(res, '0001', '[]'));
    const error = await read({ live: false }).values.catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ProtocolError);
    expect((error as ProtocolError).message).toMatch(/did not advance/);
    // Bounded, and spaced: not thousands of requests a second.
    expect(server.requests.length).toBeGreaterThan(2);
    expect(server.requests.length).toBeLessThanOrEqual(12);
    const gaps = server.requests.slice(2).map((r, i) => r.startedAt - server.requests[i + 1].startedAt);
    expect(Math.max(...gaps)).toBeGreaterThanOrEqual(20);
  });

  it.each([
    ['catch-up', false],
    ['long-poll', 'long-poll'],
    ['sse', 'sse'],
  ] as const)(
    'data that does not advance the offset (%s) is a ProtocolError naming the stream and offset: delivered once, asked for once',
    async (_kind, live) => {
      script(server, (req, res, index) => {
        if (index === 0) return readAnswer(res, '0001', '[1]', { upToDate: live !== false });
        // From here on, the same data at the same offset: a cache that ignores the query string answers like this.
        if (liveOf(req.url!) !== 'sse') return readAnswer(res, '0001', '[1]', { upToDate: true });
        sseHead(res);
        res.write(sseData('[1]') + sseControl('0001', { upToDate: true }));
      });
      const delivered: unknown[] = [];
      const error = await lastValueFrom(
        readJson(client.stream('s'), { live }).pipe(
          items(),
          tap((value) => delivered.push(value)),
        ),
      ).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(ProtocolError);
      expect(error).toMatchObject({ offset: '0001', url: client.stream('s').url });
      expect((error as ProtocolError).message).toMatch(/did not advance the offset.*at offset 0001.*\/v1\/stream\/s/);
      expect((error as ProtocolError).message).toMatch(/None of it was delivered/);
      expect(delivered).toEqual([1]);
      // Not a loop: the answer was refused at once, and nothing was asked for again.
      await sleep(100);
      expect(server.requests.map((r) => [offsetOf(r.url), liveOf(r.url)])).toEqual([
        ['-1', null],
        ['0001', live === false ? null : live],
      ]);
      await until(() => hanging(server).length === 0, 'every connection to close', 2_000);
    },
  );

  it('offsets that keep going backwards end in a ProtocolError too', async () => {
    script(server, (_req, res, index) =>
      index === 0 ? readAnswer(res, '0005', '[1]') : readAnswer(res, '0004', '[]', { upToDate: true }),
    );
    const error = await read({ live: 'long-poll' }).values.catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ProtocolError);
    expect((error as ProtocolError).message).toMatch(/backwards/);
    expect(server.requests.length).toBeLessThanOrEqual(12);
  });

  it('a plain 200 without protocol headers (an SPA fallback) ends the read with a ProtocolError at once', async () => {
    script(server, (_req, res) => spaFallback(res));
    const error = await read({ live: 'auto' }).values.catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ProtocolError);
    expect((error as ProtocolError).message).toMatch(/Stream-Next-Offset/);
    expect(server.requests).toHaveLength(1);
  });

  it('SSE data events without a control event are bounded: the read fails with a ProtocolError instead of buffering without end', async () => {
    const event = sseData(JSON.stringify(['x'.repeat(1000)]));
    script(server, (_req, res, index) => {
      if (index === 0) return readAnswer(res, '0001', '[]', { upToDate: true });
      sseHead(res);
      let stopped = false;
      res.on('close', () => (stopped = true));
      // Far more than any client should hold for one control event: 64 MB at most, in 64 kB writes.
      const block = event.repeat(64);
      let sent = 0;
      const pump = () => {
        while (!stopped && sent < 1_000 && res.write(block)) sent++;
        if (!stopped && sent < 1_000) res.once('drain', pump);
      };
      pump();
    });
    const error = await read({ live: 'sse' }).values.catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ProtocolError);
    expect((error as ProtocolError).message).toMatch(/control event/);
    await until(() => hanging(server).length === 0, 'the SSE connection to close', 2_000);
  }, 30_000);

  it("SSE's idle timer is reset by any event: a connection sending only data events for longer than sseIdleTimeoutMs is kept", async () => {
    script(server, (_req, res, index) => {
      if (index === 0) return readAnswer(res, '0001', '[]', { upToDate: true });
      sseHead(res);
      // Data events only, every 100 ms, for twice the idle bound.
      let n = 0;
      const tick = setInterval(() => {
        if (n < (2 * TIMEOUT_MS) / 100) res.write(sseData(JSON.stringify([n++])));
        else {
          clearInterval(tick);
          res.end(sseControl('0100', { upToDate: true, closed: true }));
        }
      }, 100);
      res.on('close', () => clearInterval(tick));
    });
    await expect(read({ live: 'sse', sseIdleTimeoutMs: TIMEOUT_MS }).values).resolves.toEqual(
      Array.from({ length: (2 * TIMEOUT_MS) / 100 }, (_, i) => i),
    );
    expect(server.matching(/live=sse/)).toHaveLength(1);
  });

  it('a silent SSE connection is reopened after sseIdleTimeoutMs, from the last offset, as a retryable TimeoutError', async () => {
    script(server, (req, res, index) => {
      if (index === 0) return readAnswer(res, '0001', '[1]', { upToDate: true });
      if (index === 1) {
        sseHead(res);
        return void res.write(sseData('[2]') + sseControl('0002', { upToDate: true }));
      }
      if (liveOf(req.url!) !== 'sse') return readAnswer(res, '0002', '[]', { upToDate: true });
      sseHead(res);
      res.end(sseData('[3]') + sseControl('0003', { upToDate: true, closed: true }));
    });
    const { values, states } = read({ live: 'sse', sseIdleTimeoutMs: TIMEOUT_MS });
    await expect(values).resolves.toEqual([1, 2, 3]);
    const error = (states.find((s) => s.status === 'reconnecting') as { error: unknown } | undefined)?.error;
    expect(error).toBeInstanceOf(TimeoutError);
    expect((error as TimeoutError).message).toMatch(/silent|no data/i);
    expect(server.requests.slice(2).map((r) => offsetOf(r.url))).toEqual(server.requests.slice(2).map(() => '0002'));
  });

  it('unsubscribing mid-stall leaves no connection open on the server', async () => {
    script(server, (_req, res) => stallBody(res, 200, readHeaders('0002'), '[1'));
    const subscription = readJson(client.stream('s'), { live: false }).subscribe({ error: () => undefined });
    await until(() => server.requests.length === 1, 'the request', 2_000);
    await sleep(50);
    subscription.unsubscribe();
    await until(() => hanging(server).length === 0, 'the connection to close', 5_000);
  });
});
