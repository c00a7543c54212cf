import { from, lastValueFrom, toArray, type Subscription } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { TimeoutError } from '../../lib/errors/client-errors';
import { exchange } from '../../lib/transport/exchange';
import type { HttpRequest, HttpResponse, HttpTransport } from '../../lib/transport/http-transport';

/** A response whose body chunks the spec pushes, and which fails when the request's signal aborts, as a real one does. */
class ScriptedBody {
  private readonly queue: Array<Uint8Array | null> = [];
  private wake: (() => void) | undefined;
  constructor(private readonly signal: AbortSignal) {
    signal.addEventListener('abort', () => this.wake?.());
  }
  push(text: string | null): void {
    this.queue.push(text === null ? null : new TextEncoder().encode(text));
    this.wake?.();
  }
  async *stream(): AsyncGenerator<Uint8Array> {
    for (;;) {
      if (this.signal.aborted) throw Object.assign(new Error('This operation was aborted'), { name: 'AbortError' });
      const next = this.queue.shift();
      if (next === null) return;
      if (next) {
        yield next;
        continue;
      }
      await new Promise<void>((resolve) => (this.wake = resolve));
    }
  }
}

/** A transport whose requests the spec answers by hand. */
class ScriptedTransport implements HttpTransport {
  readonly requests: Array<{ request: HttpRequest; answer: (status?: number) => ScriptedBody }> = [];
  constructor(readonly reportsSent = false) {}
  request(request: HttpRequest): Promise<HttpResponse> {
    return new Promise((resolve, reject) => {
      request.signal.addEventListener('abort', () =>
        reject(Object.assign(new Error('This operation was aborted'), { name: 'AbortError' })),
      );
      this.requests.push({
        request,
        answer: (status = 200) => {
          const body = new ScriptedBody(request.signal);
          const stream = () => body.stream();
          const bytes = async () => new Uint8Array(Buffer.concat(await lastValueFrom(from(stream()).pipe(toArray()))));
          resolve({
            status,
            headers: { get: () => null, entries: () => [] },
            body: {
              stream,
              bytes,
              text: async () => new TextDecoder().decode(await bytes()),
              dump: async () => {
                await lastValueFrom(from(stream()).pipe(toArray())).catch(() => undefined);
              },
            },
          });
          return body;
        },
      });
    });
  }
}

/** Lets promise callbacks and async iterators run (a few turns: an abort travels through several). */
async function settle(): Promise<void> {
  for (let turn = 0; turn < 5; turn++) await new Promise((resolve) => setImmediate(resolve));
}

/**
 * exchange()'s time bounds in virtual time: the header timeout and where it
 * ran out, and the body's idle bound, restarted by every chunk.
 */
describe('exchange timeouts (virtual time)', () => {
  let scheduler: TestScheduler;
  /** Moves virtual time to `frame`, running the timers due, then lets promise callbacks run. */
  async function advanceTo(frame: number): Promise<void> {
    await settle();
    scheduler.schedule(() => undefined, frame - scheduler.now());
    scheduler.maxFrames = frame;
    scheduler.flush();
    await settle();
  }
  beforeEach(() => {
    scheduler = new TestScheduler((a, b) => expect(a).toEqual(b));
  });

  function start(
    transport: HttpTransport,
    consume: (response: HttpResponse) => Promise<unknown> | unknown[],
    timeouts = { timeoutMs: 100, bodyTimeoutMs: 50 },
  ) {
    const seen: { values: unknown[]; error?: unknown; done: boolean; subscription?: Subscription } = {
      values: [],
      done: false,
    };
    seen.subscription = exchange(
      transport,
      { method: 'GET', url: 'http://x/s?offset=1', headers: {} },
      consume as never,
      { ...timeouts, scheduler },
    ).subscribe({
      next: (value) => seen.values.push(value),
      error: (error: unknown) => (seen.error = error),
      complete: () => (seen.done = true),
    });
    return seen;
  }

  it('no headers within timeoutMs: a TimeoutError, phase response when the transport cannot tell why, and the request is aborted', async () => {
    const transport = new ScriptedTransport();
    const seen = start(transport, () => []);
    await advanceTo(99);
    expect(seen.error).toBeUndefined();
    await advanceTo(100);
    expect(seen.error).toBeInstanceOf(TimeoutError);
    expect(seen.error).toMatchObject({ phase: 'response', timeoutMs: 100, url: 'http://x/s' });
    expect(transport.requests[0].request.signal.aborted).toBe(true);
  });

  it('a transport that reports sending: phase connection until it does, headers after', async () => {
    const queued = new ScriptedTransport(true);
    const a = start(queued, () => []);
    await advanceTo(100);
    expect(a.error).toMatchObject({ phase: 'connection' });
    expect((a.error as Error).message).toMatch(/never sent/);

    scheduler = new TestScheduler((x, y) => expect(x).toEqual(y));
    const sent = new ScriptedTransport(true);
    const b = start(sent, () => []);
    await advanceTo(10);
    sent.requests[0].request.onSent!();
    await advanceTo(100);
    expect(b.error).toMatchObject({ phase: 'headers' });
  });

  it('a body that keeps arriving is never cut, however long it takes; every chunk restarts the idle bound', async () => {
    const transport = new ScriptedTransport();
    const seen = start(transport, async (response) => new TextDecoder().decode(await response.body.bytes()));
    await advanceTo(5);
    const body = transport.requests[0].answer();
    for (let frame = 40; frame <= 400; frame += 40) {
      await advanceTo(frame);
      body.push('x');
    }
    await advanceTo(440);
    body.push(null);
    await settle();
    expect(seen.error).toBeUndefined();
    expect(seen.values).toEqual(['x'.repeat(10)]);
  });

  it('a body that stalls: a TimeoutError (phase body) bodyTimeoutMs after the last chunk, and the request is aborted', async () => {
    const transport = new ScriptedTransport();
    const seen = start(transport, async (response) => response.body.text());
    await advanceTo(5);
    const body = transport.requests[0].answer();
    await advanceTo(30);
    body.push('[1,');
    await advanceTo(79);
    expect(seen.error).toBeUndefined();
    await advanceTo(80);
    expect(seen.error).toBeInstanceOf(TimeoutError);
    expect(seen.error).toMatchObject({ phase: 'body', timeoutMs: 50 });
    expect(transport.requests[0].request.signal.aborted).toBe(true);
  });

  it('a body only being discarded is bounded too: when it stalls it is abandoned (aborted), and the answer stands', async () => {
    const transport = new ScriptedTransport();
    const seen = start(transport, async (response) => {
      await response.body.dump();
      return 'done';
    });
    await advanceTo(5);
    transport.requests[0].answer().push('partial');
    await advanceTo(54);
    expect(seen.values).toEqual([]);
    await advanceTo(56);
    expect(transport.requests[0].request.signal.aborted).toBe(true);
    expect(seen.values).toEqual(['done']);
    expect(seen.error).toBeUndefined();
    expect(scheduler.actions.filter((action) => !action.closed)).toHaveLength(0);
  });

  it('a streamed body (SSE) is bounded by its silences, not its length', async () => {
    const transport = new ScriptedTransport();
    const chunks: string[] = [];
    let error: unknown;
    exchange(transport, { method: 'GET', url: 'http://x/s', headers: {} }, (response) => from(response.body.stream()), {
      timeoutMs: 100,
      bodyTimeoutMs: 50,
      scheduler,
    }).subscribe({
      next: (chunk) => chunks.push(new TextDecoder().decode(chunk)),
      error: (e: unknown) => (error = e),
    });
    await advanceTo(5);
    const body = transport.requests[0].answer();
    for (let frame = 45; frame <= 450; frame += 45) {
      await advanceTo(frame);
      body.push('e');
    }
    expect(error).toBeUndefined();
    await advanceTo(500);
    expect(chunks).toHaveLength(10);
    expect(error).toMatchObject({ phase: 'body' });
  });

  it('unsubscribing leaves no timer, and aborts', async () => {
    const transport = new ScriptedTransport();
    const seen = start(transport, async (response) => response.body.text());
    await advanceTo(5);
    transport.requests[0].answer().push('x');
    await advanceTo(10);
    seen.subscription!.unsubscribe();
    expect(scheduler.actions.filter((action) => !action.closed)).toHaveLength(0);
    expect(transport.requests[0].request.signal.aborted).toBe(true);
  });

  it('a finished exchange leaves no timer', async () => {
    const transport = new ScriptedTransport();
    const seen = start(transport, async (response) => response.body.text());
    await advanceTo(5);
    const body = transport.requests[0].answer();
    body.push('x');
    body.push(null);
    await settle();
    await settle();
    expect(seen.values).toEqual(['x']);
    expect(scheduler.actions.filter((action) => !action.closed)).toHaveLength(0);
  });
});
