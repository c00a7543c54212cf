/** @jest-environment ./spec/support/angular-dom-environment.cjs */
/** @jest-environment-options {"globalsCleanup": "off"} */
/**
 * In the browser, a read the app subscribes itself (`toSignal(readJson(...))`) through the client of
 * provideDurableStreams() is pending work while it catches up, as an `HttpClient` request is: the app is not stable
 * until the read is up to date, then stable while it stays live (hydration cleanup and `whenStable()` never hang on
 * a live read), in both zone modes; with zone.js its live requests and timers are outside the Angular zone, and what
 * it emits re-enters the zone, so the view updates with each append. Against the reference server, over fetch.
 */
import { restoreSharedPrototypes } from './support/shared-prototypes'; // before zone.js: it patches classes the worker shares
import 'zone.js';
import '@angular/compiler'; // JIT: the spec's component is compiled at run time
import {
  ApplicationRef,
  NgZone,
  provideZoneChangeDetection,
  provideZonelessChangeDetection,
  type EnvironmentProviders,
  type Provider,
} from '@angular/core';
import { TestBed } from '@angular/core/testing';
import { BrowserTestingModule, platformBrowserTesting } from '@angular/platform-browser/testing';
import { firstValueFrom } from 'rxjs';
import { provideDurableStreams } from '../../lib/angular/index';
import {
  appendJson,
  createStream,
  DurableStreamsClient,
  fetchTransport,
  readJson,
  StreamNotFoundError,
  type TransportInterceptor,
} from '../../lib/index';
import { startWatchedServer, type WatchedServer } from '../support/watched-server';
import { plainRead, SignalFeedComponent } from './support/plain-read-app';
import { sleep, until } from '../support/until';

TestBed.initTestEnvironment(BrowserTestingModule, platformBrowserTesting(), { teardown: { destroyAfterEach: true } });

let streams: WatchedServer;
let writer: DurableStreamsClient;
let counter = 0;

beforeAll(async () => {
  streams = await startWatchedServer();
  writer = new DurableStreamsClient({ baseUrl: streams.base, transport: fetchTransport() });
});
afterAll(async () => {
  await streams.close();
  restoreSharedPrototypes();
});

async function feedWith(...items: string[]): Promise<string> {
  const path = `stability-${process.pid}-${counter++}`;
  await firstValueFrom(createStream(writer.stream(path), { contentType: 'application/json' }));
  for (const item of items) await firstValueFrom(appendJson(writer.stream(path), item));
  return path;
}

/** Holds every catch-up response (a read without `live`) until released: the catch-up takes as long as the spec says. */
function catchUpGate(): { readonly interceptor: TransportInterceptor; release(): void; readonly held: () => number } {
  let release!: () => void;
  const gate = new Promise<void>((resolve) => (release = resolve));
  let held = 0;
  return {
    interceptor: async (request, next) => {
      if (request.method !== 'GET' || new URL(request.url).searchParams.has('live')) return next(request);
      held++;
      const response = await next(request);
      await gate;
      return response;
    },
    release: () => release(),
    held: () => held,
  };
}

const items = (root: HTMLElement) => [...root.querySelectorAll('li')].map((li) => li.textContent);

describe.each<[string, Provider | EnvironmentProviders]>([
  ['zoneless', provideZonelessChangeDetection()],
  ['zone.js', provideZoneChangeDetection()],
])('a live read the app subscribes itself, %s', (_mode, changeDetection) => {
  it('holds stability while catching up, then is stable while live, and renders every append', async () => {
    const path = await feedWith('one', 'two');
    Object.assign(plainRead, { stream: path, live: 'long-poll' });
    const gate = catchUpGate();
    const zones: boolean[] = [];
    const zoneProbe: TransportInterceptor = (request, next) => (zones.push(NgZone.isInAngularZone()), next(request));
    TestBed.configureTestingModule({
      providers: [
        changeDetection,
        provideDurableStreams({
          baseUrl: streams.base,
          transport: fetchTransport(),
          interceptors: [zoneProbe, gate.interceptor],
        }),
      ],
    });
    const app = TestBed.inject(ApplicationRef);
    const fixture = TestBed.createComponent(SignalFeedComponent);
    fixture.autoDetectChanges();
    const stabilities: boolean[] = [];
    const watching = app.isStable.subscribe((stable) => stabilities.push(stable));
    try {
      await until(
        () => gate.held() === 1,
        () => 'the catch-up request',
      );
      await sleep(100);
      expect(stabilities.at(-1)).toBe(false); // the catch-up is pending work

      const whenStable = app.whenStable();
      gate.release();
      await whenStable;
      expect(items(fixture.nativeElement as HTMLElement)).toEqual(['one', 'two']);
      // Stable while the read is live: its long-poll is open at the server.
      await until(
        async () => (await streams.counts(path)).openLive === 1,
        () => 'the live request',
      );
      expect(stabilities.at(-1)).toBe(true);

      await firstValueFrom(appendJson(writer.stream(path), 'three'));
      await until(
        () => items(fixture.nativeElement as HTMLElement).length === 3,
        () => 'the append rendered',
      );
      expect(items(fixture.nativeElement as HTMLElement)).toEqual(['one', 'two', 'three']);
      await app.whenStable(); // resolves with the read live
      expect(stabilities.at(-1)).toBe(true);
      // Requests leave outside the Angular zone (always outside in a zoneless app).
      expect(zones.length).toBeGreaterThanOrEqual(2);
      expect(zones.every((inZone) => !inZone)).toBe(true);
    } finally {
      watching.unsubscribe();
      fixture.destroy();
    }
    await until(
      async () => (await streams.counts(path)).openReads === 0,
      () => 'the read closed with the component',
    );
  });

  it('is stable again once the read fails, and while it is unsubscribed', async () => {
    TestBed.configureTestingModule({ providers: [changeDetection, provideDurableStreams({ baseUrl: streams.base })] });
    const app = TestBed.inject(ApplicationRef);
    const client = TestBed.inject(DurableStreamsClient);
    const stabilities: boolean[] = [];
    const watching = app.isStable.subscribe((stable) => stabilities.push(stable));
    const failed = new Promise<unknown>((resolve) =>
      readJson(client.stream(`missing-${process.pid}-${counter++}`), { live: 'sse' }).subscribe({ error: resolve }),
    );
    expect(stabilities.at(-1)).toBe(false);
    expect(await failed).toBeInstanceOf(StreamNotFoundError);
    await app.whenStable();
    expect(stabilities.at(-1)).toBe(true);

    const path = await feedWith('one');
    const gate = catchUpGate();
    TestBed.resetTestingModule();
    TestBed.configureTestingModule({
      providers: [changeDetection, provideDurableStreams({ baseUrl: streams.base, interceptors: [gate.interceptor] })],
    });
    const later = TestBed.inject(ApplicationRef);
    const stable: boolean[] = [];
    const watchingLater = later.isStable.subscribe((value) => stable.push(value));
    const reading = readJson(TestBed.inject(DurableStreamsClient).stream(path)).subscribe();
    await until(
      () => gate.held() === 1,
      () => 'the catch-up request',
    );
    expect(stable.at(-1)).toBe(false);
    reading.unsubscribe(); // the catch-up's response is still held: only the unsubscribe can end the pending work
    await later.whenStable();
    expect(stable.at(-1)).toBe(true);
    gate.release();
    watching.unsubscribe();
    watchingLater.unsubscribe();
  });
});
