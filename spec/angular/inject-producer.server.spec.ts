/** @jest-environment ./spec/support/angular-dom-environment.cjs */
/**
 * injectProducer() on the reference server: a tab producer (IndexedDB
 * outbox under fake-indexeddb, Web Locks under FakeLocks) whose delivery
 * state is signals, stopped with its injector once what was appended is
 * saved, so the next producer on the outbox delivers what the first did not;
 * on the server, nothing is made or opened.
 */
import '@angular/compiler';
import { PLATFORM_ID, provideZonelessChangeDetection } from '@angular/core';
import { TestBed } from '@angular/core/testing';
import { BrowserTestingModule, platformBrowserTesting } from '@angular/platform-browser/testing';
import { firstValueFrom, lastValueFrom } from 'rxjs';
import { injectProducer, provideDurableStreams, type ProducerRef } from '../../lib/angular/index';
import { collectItems, createStream, DurableStreamsClient, fetchTransport, readJson } from '../../lib/index';
import { FakeLocks, fakeNavigatorPerTest } from '../read/cross-tab/support/fake-tabs';
import { fakeIndexedDbPerTest } from '../produce/outbox/support/fake-indexed-db';
import { startCuttableProxy, type CuttableProxy } from '../support/cuttable-proxy';
import { sleep } from '../support/until';

TestBed.initTestEnvironment(BrowserTestingModule, platformBrowserTesting(), { teardown: { destroyAfterEach: true } });

const storage = fakeIndexedDbPerTest();
const navigator = fakeNavigatorPerTest();

// The reference server of jest's global setup (not through spec/support/real-server: undici does not load under jsdom).
const serverUrl = () => process.env['DS_TEST_SERVER_URL']!;
let counter = 0;
const uniquePath = (prefix: string) => `${prefix}-${process.pid}-${Date.now().toString(36)}-${counter++}`;

async function until(predicate: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(10);
  }
}

let proxy: CuttableProxy;
const writer = () => new DurableStreamsClient({ baseUrl: `${serverUrl()}/v1/stream`, transport: fetchTransport() });

beforeAll(async () => (proxy = await startCuttableProxy(serverUrl())));
afterAll(() => proxy.close());
beforeEach(() => {
  navigator.setLocks(new FakeLocks());
  sessionStorage.clear();
  TestBed.configureTestingModule({
    providers: [
      provideZonelessChangeDetection(),
      provideDurableStreams({
        baseUrl: `${proxy.origin}/v1/stream`,
        transport: fetchTransport(),
        retry: { initialDelayMs: 20, maxDelayMs: 100 },
      }),
    ],
  });
});
afterEach(() => proxy.restore());

async function newStream(): Promise<string> {
  const path = uniquePath('ng-producer');
  await firstValueFrom(createStream(writer().stream(path), { contentType: 'application/json' }));
  return path;
}

const stored = (path: string) => firstValueFrom(readJson(writer().stream(path), { live: false }).pipe(collectItems()));

const compose = (path: string): ProducerRef<string> =>
  TestBed.runInInjectionContext(() =>
    injectProducer<string>(path, 'compose', { contentType: 'application/json', lingerMs: 0 }),
  );

describe('injectProducer()', () => {
  it('shows pending, saved and the delivery status as signals, from the first append to delivered', async () => {
    const path = await newStream();
    const outbox = compose(path);
    expect(outbox.status()).toBe('delivered');
    expect(outbox.pending()).toBe(0);
    expect(outbox.producer?.producerId).toMatch(/^tab-/);
    await proxy.cut();
    outbox.append('one');
    outbox.append('two');
    await until(() => outbox.pending() === 2 && outbox.saved() === 2, 'both pending and saved');
    await until(() => outbox.status() === 'offline', 'offline');
    expect(outbox.pending()).toBe(2);
    await proxy.restore();
    await until(() => outbox.status() === 'delivered', 'delivered');
    expect(outbox.pending()).toBe(0);
    expect(await stored(path)).toEqual(['one', 'two']);
    expect(outbox.error()).toBeUndefined();
  });

  it('stops with its injector once what was appended is saved; the next producer on the outbox delivers it', async () => {
    const path = await newStream();
    const first = compose(path);
    await proxy.cut();
    for (const value of ['a', 'b', 'c']) first.append(value);
    const producer = first.producer!;
    let stopped = false;
    producer.acks$.subscribe({ complete: () => (stopped = true) });
    TestBed.resetTestingModule();
    await until(() => stopped, 'the producer stopped');
    expect(producer.unsentValues()).toEqual([]); // every value was saved: nothing handed back
    expect(await stored(path)).toEqual([]);

    TestBed.configureTestingModule({
      providers: [
        provideZonelessChangeDetection(),
        provideDurableStreams({ baseUrl: `${proxy.origin}/v1/stream`, transport: fetchTransport() }),
      ],
    });
    const next = compose(path);
    expect(next.producer?.producerId).toBe(producer.producerId); // the same tab: its id and outbox
    await until(() => next.pending() === 3 && next.saved() === 3, 'the saved values found');
    await proxy.restore();
    await lastValueFrom(next.producer!.flush());
    await until(() => next.status() === 'delivered', 'delivered');
    expect(await stored(path)).toEqual(['a', 'b', 'c']);
  });

  it('during a server render, makes no producer and opens nothing: delivered, nothing pending, append throws', () => {
    TestBed.configureTestingModule({ providers: [{ provide: PLATFORM_ID, useValue: 'server' }] });
    const open = jest.spyOn(storage.factory(), 'open');
    const outbox = compose('rooms/1');
    expect(outbox.producer).toBeUndefined();
    expect([outbox.status(), outbox.pending(), outbox.saved(), outbox.error()]).toEqual(['delivered', 0, 0, undefined]);
    expect(() => outbox.append('x')).toThrow(/no appends during a server render/);
    expect(open).not.toHaveBeenCalled();
  });
});
