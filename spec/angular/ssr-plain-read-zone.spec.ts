/** @jest-environment-options {"globalsCleanup": "off"} */
/**
 * Server rendering, with zone.js, of an app that subscribes a read itself (`toSignal(readJson(...))`, the `async`
 * pipe) through the client of provideDurableStreams(): the render waits for the catch-up and shows the data, and
 * becomes stable at once after it, though the read asked to go live (it completes on the server, and its sockets
 * and timers, undici's keep-alive ones included, are outside the Angular zone), where it stayed unstable for good.
 */
import { restoreSharedPrototypes } from './support/shared-prototypes'; // before zone.js: it patches classes the worker shares
import 'zone.js';
import { NgZone, provideZoneChangeDetection, type Type } from '@angular/core';
import { firstValueFrom } from 'rxjs';
import { DurableStreamsClient, fetchTransport, appendJson, createStream, type LiveMode } from '../../lib/index';
import { undiciTransport, type UndiciTransport } from '../../lib/transport/undici/undici-transport';
import { startStreamServer, type StreamServer } from '../../e2e/support/stream-server';
import { renderedItems, renderFeed } from './support/ssr-app';
import { AsyncFeedComponent, plainRead, SignalFeedComponent } from './support/plain-read-app';

let streams: StreamServer;
let client: DurableStreamsClient;
let undici: UndiciTransport;
let counter = 0;

beforeAll(async () => {
  streams = await startStreamServer();
  undici = undiciTransport();
  client = new DurableStreamsClient({ baseUrl: `${streams.url}/v1/stream`, transport: fetchTransport() });
  jest.spyOn(console, 'log').mockImplementation(() => undefined); // "Angular is running in development mode."
  const warm = await feedWith('warm');
  for (const component of [SignalFeedComponent, AsyncFeedComponent]) await render(component, warm, false);
});
afterAll(async () => {
  await undici.close();
  await streams.close();
  restoreSharedPrototypes();
});

async function feedWith(...items: string[]): Promise<string> {
  const path = `ssr-plain-zone-${process.pid}-${counter++}`;
  const stream = client.stream(path);
  await firstValueFrom(createStream(stream, { contentType: 'application/json' }));
  for (const item of items) await firstValueFrom(appendJson(stream, item));
  return path;
}

/** Renders with undici (the Node default), noting whether each request is made in the Angular zone. */
async function render(component: Type<unknown>, stream: string, live: LiveMode, zones: boolean[] = []) {
  Object.assign(plainRead, { stream, live });
  const transport = {
    request: (request: Parameters<UndiciTransport['request']>[0]) => (
      zones.push(NgZone.isInAngularZone()),
      undici.request(request)
    ),
  };
  return renderFeed({
    component,
    stream,
    baseUrl: `${streams.url}/v1/stream`,
    url: 'http://app.test/',
    providers: [provideZoneChangeDetection()],
    transport,
  });
}

describe.each([
  ['toSignal(readJson(...))', SignalFeedComponent],
  ['readJson(...) | async', AsyncFeedComponent],
])('server rendering, with zone.js, of %s', (_, component) => {
  it.each<LiveMode>(['sse', 'long-poll', 'auto'])(
    'renders every item of a live read (live: %s) within a second, its request outside the zone, nothing live',
    async (live) => {
      expect(typeof (globalThis as { Zone?: unknown }).Zone).toBe('function');
      const path = await feedWith('one', 'two', 'three', 'four', 'five');
      const mark = streams.log.length;
      const zones: boolean[] = [];
      const { html, ms } = await render(component, path, live, zones);
      expect(renderedItems(html)).toEqual(['one', 'two', 'three', 'four', 'five']);
      expect(ms).toBeLessThan(1_000);
      expect(zones).toEqual([false]);
      const reads = streams.requests(path, mark).filter((request) => request.method === 'GET');
      expect(reads.map((request) => request.params.get('live'))).toEqual([null]);
      expect(streams.openReads(path)).toBe(0);
    },
  );
});
