/** @jest-environment ./spec/support/angular-dom-environment.cjs */
import '@angular/compiler';
import { inject, provideZonelessChangeDetection, type Signal } from '@angular/core';
import { TestBed } from '@angular/core/testing';
import { BrowserTestingModule, platformBrowserTesting } from '@angular/platform-browser/testing';
import { firstValueFrom } from 'rxjs';
import { provideDurableStreams, streamResource, type StreamResourceStatus } from '../../lib/angular/index';
import { appendJson, createStream, DurableStreamError, DurableStreamsClient, fetchTransport } from '../../lib/index';
import { startRestartableServer, type RestartableServer } from '../support/restartable-server';
import { until } from '../support/until';

TestBed.initTestEnvironment(BrowserTestingModule, platformBrowserTesting(), { teardown: { destroyAfterEach: true } });

/** Every status the signal takes, sampled often enough for states that last as long as an outage. */
function recordStatuses(status: Signal<StreamResourceStatus>): { readonly seen: StreamResourceStatus[]; stop(): void } {
  const seen: StreamResourceStatus[] = [];
  const sample = () => {
    if (seen.at(-1) !== status()) seen.push(status());
  };
  sample();
  const timer = setInterval(sample, 5);
  return { seen, stop: () => clearInterval(timer) };
}

/**
 * streamResource()'s status from a real read's connection state (issue #15,
 * F1): the file-backed reference server in a child process is killed with
 * SIGKILL under a live read and restarted on the same port and data. No fake
 * client: the resource's own read, through provideDurableStreams() and the
 * default fetch transport, tells 'reconnecting' while the server is away and
 * 'live' once it is back, and the values go on from where they stood.
 */
describe.each(['long-poll', 'sse'] as const)('streamResource() across a server outage (%s)', (live) => {
  let server: RestartableServer;
  beforeAll(async () => {
    server = await startRestartableServer({ longPollTimeoutMs: 2_000 });
  });
  afterAll(() => server.close());

  it("status goes 'live', 'reconnecting' while the server is down, then 'live' again, and no value is lost or repeated", async () => {
    const path = `ng-outage-${live}-${Date.now().toString(36)}`;
    const writer = new DurableStreamsClient({ baseUrl: server.streamBase, transport: fetchTransport() }).stream(path);
    await firstValueFrom(createStream(writer, { contentType: 'application/json' }));
    await firstValueFrom(appendJson(writer, { n: 1 }));

    TestBed.configureTestingModule({
      providers: [
        provideZonelessChangeDetection(),
        provideDurableStreams({ baseUrl: server.streamBase, retry: { initialDelayMs: 50, maxDelayMs: 300 } }),
      ],
    });
    // Named by a handle over SSE, by a path over long-poll: one way or the other, the same read.
    const feed = TestBed.runInInjectionContext(() => {
      const client = inject(DurableStreamsClient);
      return streamResource(() => ({ stream: live === 'sse' ? client.stream<{ n: number }>(path) : path, live }));
    });
    TestBed.tick();
    const statuses = recordStatuses(feed.status);
    try {
      await until(() => feed.status() === 'live', "'live'");
      expect(feed.value()).toEqual([{ n: 1 }]);

      await server.kill();
      await until(() => feed.status() === 'reconnecting', "'reconnecting' once the server is gone");
      // What a "retrying in 4 s" shows: the attempt, the wait until the next try, and why.
      const first = feed.connection();
      expect(first).toMatchObject({
        status: 'reconnecting',
        attempt: expect.any(Number),
        retryInMs: expect.any(Number),
      });
      expect((first as { error: unknown }).error).toBeInstanceOf(DurableStreamError);
      // Several failed attempts: still reconnecting, no error.
      const attempt = () => (feed.connection() as { attempt?: number }).attempt ?? 0;
      await until(() => attempt() > (first as { attempt: number }).attempt + 1, 'more failed attempts');
      expect([feed.status(), feed.error()]).toEqual(['reconnecting', undefined]);

      await server.restart();
      await until(() => feed.status() === 'live', "'live' again after the restart", 15_000);
      await firstValueFrom(appendJson(writer, { n: 2 }));
      await until(() => feed.value().length >= 2, 'the value appended after the restart');
      expect(feed.value()).toEqual([{ n: 1 }, { n: 2 }]);
      expect(feed.error()).toBeUndefined();
    } finally {
      statuses.stop();
    }
    // Connecting first; then live, reconnecting for as long as the outage, live again (through catching-up, when sampled).
    expect(statuses.seen.join(' ')).toMatch(
      /^(idle )?connecting( catching-up)? live reconnecting( connecting)?( catching-up)? live$/,
    );
    expect(feed.connection()).toEqual({ status: 'live', mode: live });
  }, 60_000);
});
