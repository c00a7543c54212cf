/**
 * Server rendering of streamResource() with renderApplication, zoneless:
 * the catch-up data is in the HTML, the render is stable within a second,
 * the server opens no live request (counted at the reference server), a
 * relative baseUrl resolves against the request's origin, and TransferState
 * carries the value and checkpoint for the browser.
 */
import { provideZonelessChangeDetection } from '@angular/core';
import { firstValueFrom } from 'rxjs';
import { DurableStreamsClient, fetchTransport, appendJson, createStream, headStream } from '../../lib/index';
import { startStreamServer, type StreamServer } from '../../e2e/support/stream-server';
import { renderedItems, renderFeed, transferState } from './support/ssr-app';

let streams: StreamServer;
let client: DurableStreamsClient;
let counter = 0;

beforeAll(async () => {
  streams = await startStreamServer();
  client = new DurableStreamsClient({ baseUrl: `${streams.url}/v1/stream`, transport: fetchTransport() });
  // A first render compiles the component (JIT) and warms the modules: the timings below are of renders as a server does them.
  jest.spyOn(console, 'log').mockImplementation(() => undefined); // "Angular is running in development mode."
  await renderFeed({
    stream: 'warm-up',
    baseUrl: `${streams.url}/v1/stream`,
    url: 'http://app.test/',
    providers: [provideZonelessChangeDetection()],
  });
});
afterAll(() => streams.close());

async function feedWith(...items: string[]): Promise<string> {
  const path = `ssr-${process.pid}-${counter++}`;
  const stream = client.stream(path);
  await firstValueFrom(createStream(stream, { contentType: 'application/json' }));
  for (const item of items) await firstValueFrom(appendJson(stream, item));
  return path;
}

describe('server rendering of streamResource(), zoneless', () => {
  it('renders the catch-up data, stable within a second, without a live request from the server', async () => {
    const path = await feedWith('one', 'two', 'three');
    const mark = streams.log.length;
    const { html, ms } = await renderFeed({
      stream: path,
      baseUrl: `${streams.url}/v1/stream`,
      url: 'http://app.test/',
      providers: [provideZonelessChangeDetection()],
    });
    expect(renderedItems(html)).toEqual(['one', 'two', 'three']);
    expect(html).toContain('<p id="status">resolved</p>');
    expect(ms).toBeLessThan(1_000);
    const reads = streams.requests(path, mark).filter((request) => request.method === 'GET');
    expect(reads.map((request) => request.params.get('live'))).toEqual([null]); // one catch-up GET, nothing live
    expect(streams.openReads(path)).toBe(0);
  });

  it("resolves a relative baseUrl against the rendered request's origin", async () => {
    const path = await feedWith('relative');
    const { html } = await renderFeed({
      stream: path,
      baseUrl: '/v1/stream',
      url: `${streams.url}/some/page`,
      providers: [provideZonelessChangeDetection()],
    });
    expect(renderedItems(html)).toEqual(['relative']);
  });

  it('hands the value and checkpoint to the browser through TransferState', async () => {
    const path = await feedWith('a', 'b');
    const tail = (await firstValueFrom(headStream(client.stream(path)))).nextOffset;
    const { html } = await renderFeed({
      stream: path,
      baseUrl: `${streams.url}/v1/stream`,
      url: 'http://app.test/',
      providers: [provideZonelessChangeDetection()],
    });
    const state = transferState(html);
    expect(state[`dsrx:items:-1:${streams.url}/v1/stream/${path}`]).toEqual({
      value: ['a', 'b'],
      checkpoint: { offset: tail },
      upToDate: true,
      closed: false,
    });
  });

  it('renders an empty or missing stream without hanging', async () => {
    const empty = await feedWith();
    const rendered = await renderFeed({
      stream: empty,
      baseUrl: `${streams.url}/v1/stream`,
      url: 'http://app.test/',
      providers: [provideZonelessChangeDetection()],
    });
    expect(renderedItems(rendered.html)).toEqual([]);
    expect(rendered.html).toContain('<p id="status">resolved</p>');
    const missing = await renderFeed({
      stream: `missing-${process.pid}`,
      baseUrl: `${streams.url}/v1/stream`,
      url: 'http://app.test/',
      providers: [provideZonelessChangeDetection()],
    });
    expect(missing.html).toContain('<p id="status">error</p>');
    expect(missing.ms).toBeLessThan(1_000);
  });
});
