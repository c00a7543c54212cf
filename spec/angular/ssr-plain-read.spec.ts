/**
 * Server rendering, zoneless, of an app that subscribes a read itself (`toSignal(readJson(...))`, the `async` pipe)
 * through the client of provideDurableStreams(), as it would `HttpClient.get()`: the catch-up is pending work, so the
 * render waits for it and shows the data; the server reads no further (a live read catches up and completes: no live
 * request, nothing left open); a read that cannot connect does not hold the render while it retries.
 */
import { provideZonelessChangeDetection, type Type } from '@angular/core';
import { firstValueFrom } from 'rxjs';
import { DurableStreamsClient, fetchTransport, appendJson, createStream, type LiveMode } from '../../lib/index';
import { startStreamServer, type StreamServer } from '../../e2e/support/stream-server';
import { renderedItems, renderFeed } from './support/ssr-app';
import { AsyncFeedComponent, plainRead, SignalFeedComponent } from './support/plain-read-app';

let streams: StreamServer;
let client: DurableStreamsClient;
let counter = 0;

beforeAll(async () => {
  streams = await startStreamServer();
  client = new DurableStreamsClient({ baseUrl: `${streams.url}/v1/stream`, transport: fetchTransport() });
  jest.spyOn(console, 'log').mockImplementation(() => undefined); // "Angular is running in development mode."
  // First renders compile the components (JIT) and warm the modules: the timings below are of renders as a server does them.
  const warm = await feedWith('warm');
  for (const component of [SignalFeedComponent, AsyncFeedComponent]) await render(component, warm, false);
});
afterAll(() => streams.close());

async function feedWith(...items: string[]): Promise<string> {
  const path = `ssr-plain-${process.pid}-${counter++}`;
  const stream = client.stream(path);
  await firstValueFrom(createStream(stream, { contentType: 'application/json' }));
  for (const item of items) await firstValueFrom(appendJson(stream, item));
  return path;
}

function render(component: Type<unknown>, stream: string, live: LiveMode, baseUrl = `${streams.url}/v1/stream`) {
  Object.assign(plainRead, { stream, live });
  return renderFeed({
    component,
    stream,
    baseUrl,
    url: 'http://app.test/',
    providers: [provideZonelessChangeDetection()],
  });
}

describe.each([
  ['toSignal(readJson(...))', SignalFeedComponent],
  ['readJson(...) | async', AsyncFeedComponent],
])('server rendering, zoneless, of %s', (_, component) => {
  it.each<LiveMode>(['sse', 'long-poll', 'auto', false])(
    'renders every item of the catch-up (live: %s), without a live request from the server',
    async (live) => {
      const path = await feedWith('one', 'two', 'three', 'four', 'five');
      const mark = streams.log.length;
      const { html, ms } = await render(component, path, live);
      expect(renderedItems(html)).toEqual(['one', 'two', 'three', 'four', 'five']);
      expect(ms).toBeLessThan(1_000);
      const reads = streams.requests(path, mark).filter((request) => request.method === 'GET');
      expect(reads.map((request) => request.params.get('live'))).toEqual([null]);
      expect(streams.openReads(path)).toBe(0);
    },
  );

  it('renders an empty stream at once, with one request', async () => {
    const path = await feedWith();
    const mark = streams.log.length;
    const { html, ms } = await render(component, path, 'sse');
    expect(renderedItems(html)).toEqual([]);
    expect(html).toContain('<ol><!--container--></ol>');
    expect(ms).toBeLessThan(1_000);
    const reads = streams.requests(path, mark).filter((request) => request.method === 'GET');
    expect(reads.map((request) => request.params.get('live'))).toEqual([null]);
  });

  it('does not hold the render while a read that cannot connect retries', async () => {
    const { html, ms } = await render(component, 'unreachable', 'sse', 'http://127.0.0.1:9/v1/stream');
    expect(renderedItems(html)).toEqual([]);
    expect(ms).toBeLessThan(1_000);
  });
});
