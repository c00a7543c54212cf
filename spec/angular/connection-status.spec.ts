/** @jest-environment ./spec/support/angular-dom-environment.cjs */
import '@angular/compiler';
import { ApplicationRef, PLATFORM_ID, provideZonelessChangeDetection } from '@angular/core';
import { TestBed } from '@angular/core/testing';
import { BrowserTestingModule, platformBrowserTesting } from '@angular/platform-browser/testing';
import { Subject } from 'rxjs';
import { DurableStreamsClient, streamResource } from '../../lib/angular/index';
import { statusFromConnection } from '../../lib/angular/read-status';
import { NetworkError, type ConnectionState, type JsonBatch, type ReadOptions } from '../../lib/index';

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
  it('maps every state of the contract', () => {
    const states: ConnectionState[] = [
      { status: 'connecting' },
      { status: 'catching-up' },
      { status: 'live', mode: 'sse' },
      reconnecting,
      { status: 'offline' },
      { status: 'closed' },
    ];
    expect(states.map(statusFromConnection)).toEqual([
      'loading',
      'catching-up',
      'live',
      'reconnecting',
      'reconnecting',
      'closed',
    ]);
  });

  it('follows the reported state, batches no longer decide it, and errors still win', () => {
    const { client, reads } = fakeClient();
    TestBed.configureTestingModule({
      providers: [provideZonelessChangeDetection(), { provide: DurableStreamsClient, useValue: client }],
    });
    const feed = TestBed.runInInjectionContext(() => streamResource<number>(() => ({ stream: 'feed', live: 'sse' })));
    TestBed.tick();
    const { options, batches } = reads[0];
    expect(options.connectionState).toBeDefined();
    batches.next(batch([1], true, '1')); // no state reported yet: the batch tells
    expect(feed.status()).toBe('live');

    options.connectionState!.next(reconnecting);
    expect(feed.status()).toBe('reconnecting');
    batches.next(batch([2], true, '2')); // data during a reconnect does not hide it
    expect(feed.status()).toBe('reconnecting');
    expect(feed.value()).toEqual([1, 2]);
    options.connectionState!.next({ status: 'live', mode: 'sse' });
    expect(feed.status()).toBe('live');
    options.connectionState!.next({ status: 'offline' });
    expect(feed.status()).toBe('reconnecting');
    batches.error(new Error('gave up'));
    expect(feed.status()).toBe('error');
  });

  it('on the server, a read that starts retrying stops holding the render; in the browser it does not', async () => {
    for (const platform of ['server', 'browser']) {
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
      reads[0].options.connectionState!.next(reconnecting);
      await new Promise((resolve) => setTimeout(resolve, 20));
      expect([platform, stable]).toEqual([platform, platform === 'server']);
      expect(feed.value()).toEqual([1]);
      expect(reads[0].options.live).toBe(platform === 'server' ? false : 'auto');
    }
  });
});
