/** @jest-environment ./spec/support/angular-dom-environment.cjs */
import '@angular/compiler';
import {
  HttpEventType,
  provideHttpClient,
  withFetch,
  withInterceptors,
  type HttpInterceptorFn,
} from '@angular/common/http';
import { ApplicationRef, provideZonelessChangeDetection } from '@angular/core';
import { TestBed } from '@angular/core/testing';
import { BrowserTestingModule, platformBrowserTesting } from '@angular/platform-browser/testing';
import { filter, finalize, firstValueFrom, take, tap, toArray } from 'rxjs';
import { DurableStreamsClient, provideDurableStreams, withHttpClientTransport } from '../../lib/angular/index';
import { StreamNotFoundError, type JsonBatch, appendJson, createStream, readJson, streamExists } from '../../lib/index';
import { until } from '../support/until';

// spec/support/real-server pulls in undici, which a jsdom environment cannot load: the same two helpers here.
const streamBase = () => `${process.env['DS_TEST_SERVER_URL']}/v1/stream`;
let counter = 0;
const uniquePath = (prefix: string) => `${prefix}-${process.pid}-${Date.now().toString(36)}-${counter++}`;

TestBed.initTestEnvironment(BrowserTestingModule, platformBrowserTesting(), { teardown: { destroyAfterEach: true } });

interface Seen {
  readonly method: string;
  readonly url: string;
  done: boolean;
  streamed: boolean;
}
let seen: Seen[];

/** The app's interceptor: sees every request and adds a header, as an auth interceptor would. */
const recording: HttpInterceptorFn = (request, next) => {
  const entry: Seen = { method: request.method, url: request.urlWithParams, done: false, streamed: false };
  seen.push(entry);
  return next(request.clone({ setHeaders: { 'x-app': 'intercepted' } })).pipe(
    tap((event) => event.type === HttpEventType.DownloadProgress && (entry.streamed = true)),
    finalize(() => (entry.done = true)),
  );
};

beforeEach(() => {
  seen = [];
  TestBed.configureTestingModule({
    providers: [
      provideZonelessChangeDetection(),
      provideHttpClient(withFetch(), withInterceptors([recording])),
      provideDurableStreams({ baseUrl: streamBase(), retry: { maxRetries: 0 } }, withHttpClientTransport()),
    ],
  });
});

describe('withHttpClientTransport()', () => {
  it("sends every request through the app's HttpClient and interceptors: create, append, catch-up, SSE", async () => {
    const stream = TestBed.inject(DurableStreamsClient).stream(uniquePath('ng-http'));
    await firstValueFrom(createStream(stream, { contentType: 'application/json' }));
    await firstValueFrom(appendJson(stream, { n: 1 }));
    expect(seen.map((request) => request.method)).toEqual(['PUT', 'POST']);

    const items: number[] = [];
    const read = readJson<{ n: number }>(stream, { live: 'sse' }).subscribe((batch: JsonBatch<{ n: number }>) =>
      items.push(...batch.items.map((item) => item.n)),
    );
    await until(() => items.length === 1, 'the history');
    await until(() => seen.some((request) => request.url.includes('live=sse')), 'the SSE request');
    await firstValueFrom(appendJson(stream, { n: 2 }));
    await until(() => items.length === 2, 'the live message, streamed');
    expect(items).toEqual([1, 2]);
    const sse = seen.find((request) => request.url.includes('live=sse'))!;
    expect(sse.streamed).toBe(true);
    expect(sse.done).toBe(false);

    read.unsubscribe();
    expect(sse.done).toBe(true); // unsubscribing the read unsubscribed HttpClient: the request is aborted
  });

  it('answers error statuses as responses, so reads fail with the typed error', async () => {
    const stream = TestBed.inject(DurableStreamsClient).stream(uniquePath('ng-http-missing'));
    await expect(firstValueFrom(readJson(stream, { live: false }))).rejects.toBeInstanceOf(StreamNotFoundError);
    await expect(firstValueFrom(streamExists(stream))).resolves.toBe(false);
  });

  it('long-poll reads work, and a live read does not keep the application from becoming stable', async () => {
    const stream = TestBed.inject(DurableStreamsClient).stream(uniquePath('ng-http-lp'));
    await firstValueFrom(createStream(stream, { contentType: 'application/json' }));
    await firstValueFrom(appendJson(stream, 'a'));
    const batches = firstValueFrom(
      readJson<string>(stream, { live: 'long-poll' }).pipe(
        filter((batch) => batch.items.length > 0),
        take(2),
        toArray(),
      ),
    );
    await until(() => seen.some((request) => request.url.includes('live=long-poll') && !request.done), 'the long-poll');
    await TestBed.inject(ApplicationRef).whenStable(); // resolves while the long-poll is held open
    await firstValueFrom(appendJson(stream, 'b'));
    expect((await batches).flatMap((batch) => batch.items)).toEqual(['a', 'b']);
  });
});
