/** @jest-environment-options {"globalsCleanup": "off"} */
/**
 * Server rendering of streamResource() in a zone.js app: the read's sockets
 * and timers run outside the Angular zone, so the render is stable as soon
 * as catch-up is done (within a second, where an undici keep-alive timer in
 * the zone held it for seconds), with the data in the HTML and no live
 * request from the server.
 */
import { restoreSharedPrototypes } from './support/shared-prototypes'; // before zone.js: it patches classes the worker shares
import 'zone.js';
import { NgZone, provideZoneChangeDetection } from '@angular/core';
import { firstValueFrom } from 'rxjs';
import { DurableStreamsClient, fetchTransport, appendJson, createStream } from '../../lib/index';
import { undiciTransport, type UndiciTransport } from '../../lib/transport/undici/undici-transport';
import { startStreamServer, type StreamServer } from '../../e2e/support/stream-server';
import { renderedItems, renderFeed, transferState } from './support/ssr-app';

let streams: StreamServer;
let client: DurableStreamsClient;
// undici (the Node default) keeps sockets alive with timers: inside the zone they would hold the render for seconds.
let undici: UndiciTransport;

beforeAll(async () => {
  streams = await startStreamServer();
  undici = undiciTransport();
  client = new DurableStreamsClient({ baseUrl: `${streams.url}/v1/stream`, transport: fetchTransport() });
  // A first render compiles the component (JIT) and warms the modules: the timings below are of renders as a server does them.
  jest.spyOn(console, 'log').mockImplementation(() => undefined); // "Angular is running in development mode."
  await renderFeed({
    stream: 'warm-up',
    baseUrl: `${streams.url}/v1/stream`,
    url: 'http://app.test/',
    providers: [provideZoneChangeDetection()],
  });
});
afterAll(async () => {
  await undici.close();
  await streams.close();
  restoreSharedPrototypes();
});

it('reads outside the Angular zone, and renders the catch-up data over undici within a second, with TransferState, and no live request', async () => {
  expect(typeof (globalThis as { Zone?: unknown }).Zone).toBe('function');
  const path = `ssr-zone-${process.pid}`;
  await firstValueFrom(createStream(client.stream(path), { contentType: 'application/json' }));
  await firstValueFrom(appendJson(client.stream(path), 'zoned'));
  for (const _round of [1, 2]) {
    const mark = streams.log.length;
    const zones: boolean[] = [];
    // Where each request is made: outside the Angular zone, so its sockets and timers are too.
    const transport = {
      request: (request: Parameters<UndiciTransport['request']>[0]) => (
        zones.push(NgZone.isInAngularZone()),
        undici.request(request)
      ),
    };
    const { html, ms } = await renderFeed({
      stream: path,
      baseUrl: '/v1/stream',
      url: `${streams.url}/page`,
      providers: [provideZoneChangeDetection()],
      transport,
    });
    expect(zones).toEqual([false]);
    expect(renderedItems(html)).toEqual(['zoned']);
    expect(ms).toBeLessThan(1_000);
    expect(Object.keys(transferState(html)).filter((key) => key.startsWith('dsrx:'))).toHaveLength(1);
    expect(
      streams
        .requests(path, mark)
        .filter((request) => request.method === 'GET')
        .map((request) => request.params.get('live')),
    ).toEqual([null]);
  }
});
