/** @jest-environment ./spec/support/angular-dom-environment.cjs */
/**
 * Angular's limit on fetched response bodies (NG02825) in a browser app that configures one, through
 * `withHttpClientTransport()`: an SSE response cut at the limit is read on from where it was cut (the read
 * reconnects from its last offset: every append once, in order), and a catch-up over the limit fails the read with
 * ResponseTooLargeError (not retried; only a server render reports it to the ErrorHandler). The limit is Angular's
 * own FetchBackend failing as Angular 22's does (spec/angular/support/limited-fetch-backend.ts).
 */
import '@angular/compiler';
import { provideHttpClient, withFetch, withInterceptors, type HttpInterceptorFn } from '@angular/common/http';
import { provideZonelessChangeDetection } from '@angular/core';
import { TestBed } from '@angular/core/testing';
import { BrowserTestingModule, platformBrowserTesting } from '@angular/platform-browser/testing';
import { firstValueFrom, lastValueFrom } from 'rxjs';
import { DurableStreamsClient, provideDurableStreams, withHttpClientTransport } from '../../lib/angular/index';
import { ResponseTooLargeError } from '../../lib/angular/response-too-large-error';
import { append, appendJson, createStream, readJson } from '../../lib/index';

import { provideLimitedFetchBackend } from './support/limited-fetch-backend';
import { until } from '../support/until';

// spec/support/real-server pulls in undici, which a jsdom environment cannot load: the same two helpers here.
const streamBase = () => `${process.env['DS_TEST_SERVER_URL']}/v1/stream`;
let counter = 0;
const uniquePath = (prefix: string) => `${prefix}-${process.pid}-${Date.now().toString(36)}-${counter++}`;

TestBed.initTestEnvironment(BrowserTestingModule, platformBrowserTesting(), { teardown: { destroyAfterEach: true } });

const LIMIT = 2_048;
let reads: string[];
const recording: HttpInterceptorFn = (request, next) => {
  if (request.method === 'GET') reads.push(request.urlWithParams);
  return next(request);
};

beforeEach(() => {
  reads = [];
  TestBed.configureTestingModule({
    providers: [
      provideZonelessChangeDetection(),
      provideHttpClient(withFetch(), withInterceptors([recording])),
      provideLimitedFetchBackend(LIMIT, 'development'),
      provideDurableStreams(
        { baseUrl: streamBase(), retry: { initialDelayMs: 10, maxDelayMs: 50 } },
        withHttpClientTransport(),
      ),
    ],
  });
});

describe("Angular's limit on response bodies in the browser, withHttpClientTransport()", () => {
  it('reads on from where an SSE response was cut: every append once, in order', async () => {
    const stream = TestBed.inject(DurableStreamsClient).stream(uniquePath('ng-limit-sse'));
    await firstValueFrom(createStream(stream, { contentType: 'application/json' }));
    const errors: unknown[] = [];
    const items: string[] = [];
    const read = readJson<string>(stream, { live: 'sse' }).subscribe({
      next: (batch) => items.push(...batch.items),
      error: (error: unknown) => errors.push(error),
    });
    const sent: string[] = [];
    // 12 appends of about 500 bytes: an SSE connection carries 4 of them before the 2 KiB limit cuts it.
    for (let n = 0; n < 12; n++) {
      const item = `${n} ${'y'.repeat(500)}`;
      sent.push(item);
      await firstValueFrom(appendJson(stream, item));
      await until(
        () => items.length === sent.length || errors.length > 0,
        () => `append ${n}`,
      );
    }
    read.unsubscribe();
    expect(errors).toEqual([]);
    expect(items).toEqual(sent);
    expect(reads.filter((url) => url.includes('live=sse')).length).toBeGreaterThanOrEqual(3);
  });

  it('fails a catch-up over the limit with ResponseTooLargeError, not retried', async () => {
    const stream = TestBed.inject(DurableStreamsClient).stream(uniquePath('ng-limit-catch-up'));
    await firstValueFrom(createStream(stream, { contentType: 'application/json' }));
    await firstValueFrom(
      append(stream, JSON.stringify(Array.from({ length: 10 }, () => 'z'.repeat(500))), {
        contentType: 'application/json',
      }),
    );
    const failure = await lastValueFrom(readJson(stream, { live: false })).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(ResponseTooLargeError);
    expect(failure).toMatchObject({ streamed: false, isRetryable: false, limitBytes: LIMIT });
    expect(reads).toHaveLength(1);
  });
});
