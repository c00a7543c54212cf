/**
 * A catch-up that Angular's limit on fetched response bodies cuts (NG02825: Angular 22's server-side
 * `maxResponseBodySize`, 1 MiB by default) fails loudly through `withHttpClientTransport()`: a typed
 * ResponseTooLargeError, not retried, `status: 'error'` in the render, and Angular's ErrorHandler (the console) told
 * on the server. Before, the cut surfaced as a network error: the read retried, and the render came out empty and
 * silent with `status: reconnecting`. Angular 21 has no such limit: the limit is Angular's own FetchBackend failing
 * as Angular 22's does (spec/angular/support/limited-fetch-backend.ts); e2e/angular-versions checks Angular 22's.
 */
import '@angular/compiler'; // JIT: the spec's components, and Angular's partially compiled injectables
import { provideHttpClient, withFetch } from '@angular/common/http';
import { provideZonelessChangeDetection } from '@angular/core';
import { firstValueFrom } from 'rxjs';
import { withHttpClientTransport } from '../../lib/angular/index';
import { ResponseTooLargeError } from '../../lib/angular/response-too-large-error';
import { append, createStream, DurableStreamsClient, fetchTransport } from '../../lib/index';
import { startStreamServer, type StreamServer } from '../../e2e/support/stream-server';
import { provideLimitedFetchBackend } from './support/limited-fetch-backend';
import { renderedItems, renderFeed } from './support/ssr-app';

const MiB = 1024 * 1024;
let streams: StreamServer;
let big: string;
let historyBytes: number;

beforeAll(async () => {
  streams = await startStreamServer();
  const client = new DurableStreamsClient({ baseUrl: `${streams.url}/v1/stream`, transport: fetchTransport() });
  // A history over 1 MiB, as one catch-up response: 3 000 items of about 400 bytes.
  big = `big-history-${process.pid}`;
  const items = Array.from({ length: 3_000 }, (_, index) => `${String(index).padStart(4, '0')} ${'x'.repeat(390)}`);
  historyBytes = JSON.stringify(items).length;
  await firstValueFrom(createStream(client.stream(big), { contentType: 'application/json' }));
  await firstValueFrom(append(client.stream(big), JSON.stringify(items), { contentType: 'application/json' }));
  jest.spyOn(console, 'log').mockImplementation(() => undefined); // "Angular is running in development mode."
  // NG02801 (HttpClient without fetch): the backend is the limited fetch backend, which Angular does not recognize.
  jest.spyOn(console, 'warn').mockImplementation(() => undefined);
});
afterAll(() => streams.close());

function render(limit: number, build: 'development' | 'production') {
  return renderFeed({
    stream: big,
    baseUrl: `${streams.url}/v1/stream`,
    url: 'http://app.test/',
    providers: [
      provideZonelessChangeDetection(),
      provideHttpClient(withFetch()),
      provideLimitedFetchBackend(limit, build),
    ],
    features: [withHttpClientTransport()],
  });
}

/** What Angular's ErrorHandler logged during `run` (console.error), and what `run` returned. */
async function logged<T>(run: () => Promise<T>): Promise<{ result: T; errors: unknown[][] }> {
  const errors: unknown[][] = [];
  const spy = jest.spyOn(console, 'error').mockImplementation((...args: unknown[]) => void errors.push(args));
  try {
    return { result: await run(), errors };
  } finally {
    spy.mockRestore();
  }
}

describe("a server render whose catch-up Angular's body limit cuts (NG02825), withHttpClientTransport()", () => {
  it("fails the read with ResponseTooLargeError, status 'error', one request, and tells the console", async () => {
    expect(historyBytes).toBeGreaterThan(MiB);
    const mark = streams.log.length;
    const { result, errors } = await logged(() => render(MiB, 'development'));
    expect(result.html).toContain('<p id="status">error</p>');
    expect(renderedItems(result.html)).toEqual([]);
    expect(result.ms).toBeLessThan(2_000);
    // Not retried: the same response would be cut again.
    expect(streams.requests(big, mark).filter((request) => request.method === 'GET')).toHaveLength(1);
    const reported = errors
      .flat()
      .filter((value): value is ResponseTooLargeError => value instanceof ResponseTooLargeError);
    expect(reported).toHaveLength(1);
    const error = reported[0];
    expect(error).toMatchObject({
      name: 'ResponseTooLargeError',
      code: 'RESPONSE_TOO_LARGE',
      limitBytes: MiB,
      isRetryable: false,
      url: `${streams.url}/v1/stream/${big}`,
    });
    expect(error.message).toContain('NG02825: over 1048576 bytes');
    expect(error.message).toContain('provideServerRendering({ maxResponseBodySize })');
    expect((error.cause as Error).message).toMatch(/^NG02825: Fetch response body exceeded/);
  });

  it("fails the same way with a production build's bare NG02825 (the limit then unknown)", async () => {
    const { result, errors } = await logged(() => render(MiB, 'production'));
    expect(result.html).toContain('<p id="status">error</p>');
    const reported = errors
      .flat()
      .filter((value): value is ResponseTooLargeError => value instanceof ResponseTooLargeError);
    expect(reported).toHaveLength(1);
    expect(reported[0].limitBytes).toBeUndefined();
    expect(reported[0].message).toContain('NG02825: over its limit');
  });

  it('renders every item once the limit is raised above the history', async () => {
    const { result, errors } = await logged(() => render(4 * MiB, 'development'));
    expect(result.html).toContain('<p id="status">resolved</p>');
    expect(renderedItems(result.html)).toHaveLength(3_000);
    expect(errors).toEqual([]);
  });
});
