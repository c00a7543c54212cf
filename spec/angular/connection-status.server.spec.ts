/** @jest-environment ./spec/support/angular-dom-environment.cjs */
import '@angular/compiler';
import { provideZonelessChangeDetection, type Signal } from '@angular/core';
import { TestBed } from '@angular/core/testing';
import { BrowserTestingModule, platformBrowserTesting } from '@angular/platform-browser/testing';
import { firstValueFrom } from 'rxjs';
import { provideDurableStreams, streamResource, type StreamResourceStatus } from '../../lib/angular/index';
import { appendJson, createStream, DurableStreamsClient, fetchTransport } from '../../lib/index';
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
    const feed = TestBed.runInInjectionContext(() => streamResource<{ n: number }>(() => ({ stream: path, live })));
    TestBed.tick();
    const statuses = recordStatuses(feed.status);
    try {
      await until(() => feed.status() === 'live', "'live'");
      expect(feed.value()).toEqual([{ n: 1 }]);

      await server.kill();
      await until(() => feed.status() === 'reconnecting', "'reconnecting' once the server is gone");
      await new Promise((resolve) => setTimeout(resolve, 500)); // several failed attempts: still reconnecting, no error
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
    // Loading first; then live, reconnecting for as long as the outage, live again (through catching-up, when sampled).
    expect(statuses.seen.join(' ')).toMatch(
      /^(idle )?loading( catching-up)? live reconnecting( loading)?( catching-up)? live$/,
    );
  }, 60_000);
});
