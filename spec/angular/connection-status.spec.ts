/** @jest-environment ./spec/support/angular-dom-environment.cjs */
import '@angular/compiler';
import { ApplicationRef, PLATFORM_ID, provideZonelessChangeDetection } from '@angular/core';
import { TestBed } from '@angular/core/testing';
import { BrowserTestingModule, platformBrowserTesting } from '@angular/platform-browser/testing';
import { Subject } from 'rxjs';
import { DurableStreamsClient, streamResource } from '../../lib/angular/index';
import { NetworkError, type ConnectionState, type JsonBatch, type ReadOptions } from '../../lib/index';
import { sleep } from '../support/until';

TestBed.initTestEnvironment(BrowserTestingModule, platformBrowserTesting(), { teardown: { destroyAfterEach: true } });

// Reads are functions of a handle: the fake client's handles carry their own readJson, which this one calls.
jest.mock('../../lib/index', () => ({
  ...jest.requireActual<object>('../../lib/index'),
  readJson: (stream: { readJson(options: ReadOptions): unknown }, options: ReadOptions) => stream.readJson(options),
}));

/**
 * The read's connection state (ReadOptions.connectionState, PLAN.md contract 1)
 * drives the status once the read reports it. A client whose reads are
 * Subjects stands in for reads that report it.
 */
function fakeClient() {
  const reads: Array<{ options: ReadOptions; batches: Subject<JsonBatch<number>> }> = [];
  const client = {
    stream: (path: string) => ({
      url: `http://streams.test/v1/stream/${path}`,
      readJson: (options: ReadOptions) => {
        const batches = new Subject<JsonBatch<number>>();
        reads.push({ options, batches });
        return batches;
      },
    }),
  };
  return { client, reads };
}

const failure = new NetworkError({ url: 'http://streams.test/v1/stream/feed', cause: new Error('reset') });
const reconnecting: ConnectionState = { status: 'reconnecting', attempt: 1, retryInMs: 100, error: failure };
const batch = (items: number[], upToDate: boolean, offset: string): JsonBatch<number> => ({
  items,
  upToDate,
  closed: false,
  offset,
  checkpoint: { offset },
});

describe('streamResource() status from the connection state', () => {
  it("speaks the read's own words: every connection state's status is the resource's, and connection() is the state", () => {
    const { client, reads } = fakeClient();
    TestBed.configureTestingModule({
      providers: [provideZonelessChangeDetection(), { provide: DurableStreamsClient, useValue: client }],
    });
    const feed = TestBed.runInInjectionContext(() => streamResource<number>(() => 'feed'));
    TestBed.tick();
    const states: ConnectionState[] = [
      { status: 'connecting' },
      { status: 'catching-up' },
      { status: 'live', mode: 'sse' },
      reconnecting,
      { status: 'offline' },
      { status: 'closed' },
    ];
    const seen = states.map((state) => {
      reads[0].options.connectionState!.next(state);
      return [feed.status(), feed.connection()];
    });
    expect(seen).toEqual(states.map((state) => [state.status, state]));
  });

  it('follows the reported state, batches no longer decide it, and errors still win', () => {
    const { client, reads } = fakeClient();
    TestBed.configureTestingModule({
      providers: [provideZonelessChangeDetection(), { provide: DurableStreamsClient, useValue: client }],
    });
    const feed = TestBed.runInInjectionContext(() => streamResource<number>(() => ({ stream: 'feed', live: 'sse' })));
    expect([feed.status(), feed.connection()]).toEqual(['idle', undefined]);
    TestBed.tick();
    expect([feed.status(), feed.connection()]).toEqual(['connecting', undefined]);
    const { options, batches } = reads[0];
    expect(options.connectionState).toBeDefined();
    batches.next(batch([1], true, '1')); // no state reported yet: the batch tells
    expect(feed.status()).toBe('live');

    options.connectionState!.next(reconnecting);
    expect(feed.status()).toBe('reconnecting');
    // What a "retrying in 4 s" needs: which attempt, how long until it, and why.
    expect(feed.connection()).toEqual({ status: 'reconnecting', attempt: 1, retryInMs: 100, error: failure });
    batches.next(batch([2], true, '2')); // data during a reconnect does not hide it
    expect(feed.status()).toBe('reconnecting');
    expect(feed.connection()).toBe(reconnecting);
    expect(feed.value()).toEqual([1, 2]);
    options.connectionState!.next({ status: 'live', mode: 'sse' });
    expect(feed.status()).toBe('live');
    options.connectionState!.next({ status: 'offline' });
    expect([feed.status(), feed.connection()]).toEqual(['offline', { status: 'offline' }]);
    batches.error(new Error('gave up'));
    expect([feed.status(), feed.connection()]).toEqual(['error', undefined]);
  });

  it('a read that completes is resolved, its connection gone; a closed stream stays closed', () => {
    const { client, reads } = fakeClient();
    TestBed.configureTestingModule({
      providers: [provideZonelessChangeDetection(), { provide: DurableStreamsClient, useValue: client }],
    });
    const once = TestBed.runInInjectionContext(() => streamResource<number>(() => ({ stream: 'once', live: false })));
    const ended = TestBed.runInInjectionContext(() => streamResource<number>(() => 'ended'));
    TestBed.tick();
    reads[0].options.connectionState!.next({ status: 'catching-up' });
    reads[0].batches.next(batch([1], true, '1'));
    reads[0].batches.complete();
    expect([once.status(), once.connection()]).toEqual(['resolved', undefined]);
    reads[1].options.connectionState!.next({ status: 'closed' });
    reads[1].batches.next({ ...batch([2], true, '2'), closed: true });
    reads[1].batches.complete();
    expect([ended.status(), ended.connection()]).toEqual(['closed', { status: 'closed' }]);
  });

  it('on the server, a read that starts retrying or is offline stops holding the render; in the browser it does not', async () => {
    const cases: Array<[string, ConnectionState]> = [
      ['server', reconnecting],
      ['server', { status: 'offline' }],
      ['browser', reconnecting],
      ['browser', { status: 'offline' }],
    ];
    for (const [platform, state] of cases) {
      const { client, reads } = fakeClient();
      TestBed.resetTestingModule();
      TestBed.configureTestingModule({
        providers: [
          provideZonelessChangeDetection(),
          { provide: DurableStreamsClient, useValue: client },
          { provide: PLATFORM_ID, useValue: platform },
        ],
      });
      const feed = TestBed.runInInjectionContext(() => streamResource<number>(() => 'feed'));
      TestBed.tick();
      let stable = false;
      void TestBed.inject(ApplicationRef)
        .whenStable()
        .then(() => (stable = true));
      reads[0].batches.next(batch([1], false, '1'));
      reads[0].options.connectionState!.next(state);
      await sleep(20);
      expect([platform, state.status, stable]).toEqual([platform, state.status, platform === 'server']);
      expect(feed.value()).toEqual([1]);
      expect(reads[0].options.live).toBe(platform === 'server' ? false : 'auto');
    }
  });
});
