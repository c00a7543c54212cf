import '@angular/compiler'; // PlatformLocation is partially compiled: JIT-linked in specs
import {
  createEnvironmentInjector,
  DestroyRef,
  inject,
  InjectionToken,
  Injector,
  runInInjectionContext,
  type EnvironmentInjector,
  type EnvironmentProviders,
  type Provider,
} from '@angular/core';
import { takeUntilDestroyed, toSignal } from '@angular/core/rxjs-interop';
import { firstValueFrom, scan } from 'rxjs';
import { DURABLE_STREAMS_OPTIONS, DurableStreamsClient, provideDurableStreams } from '../../lib/angular/index';
// The Node entry registers undici as the default transport: the Angular provider must still pick fetch.
import {
  DurableStreamsClient as CoreClient,
  fetchTransport,
  type JsonBatch,
  appendJson,
  createStream,
  readJson,
  streamExists,
} from '../../lib/index';
import { InvalidArgumentError } from '../../lib/errors/client-errors';
import type { HttpRequest, HttpTransport } from '../../lib/transport/http-transport';
import { streamBase, uniquePath } from '../support/real-server';
import { clientRuntimeOf } from '../../lib/client/durable-streams-client';
import { sleep, until } from '../support/until';

/** A root environment injector, as `bootstrapApplication` makes one. */
function environment(...providers: Array<Provider | EnvironmentProviders>): EnvironmentInjector {
  return createEnvironmentInjector(providers, Injector.NULL as EnvironmentInjector);
}

/** A transport that records every request and whether its signal was aborted. */
function recordingTransport(inner: HttpTransport = fetchTransport()): HttpTransport & { requests: HttpRequest[] } {
  const requests: HttpRequest[] = [];
  return { requests, request: (request) => (requests.push(request), inner.request(request)) };
}

describe('provideDurableStreams', () => {
  it('provides one DurableStreamsClient per environment, the class of the main entry, with the given options', () => {
    const injector = environment(provideDurableStreams({ baseUrl: 'http://streams.test/v1/stream', timeoutMs: 1234 }));
    const client = injector.get(DurableStreamsClient);
    expect(DurableStreamsClient).toBe(CoreClient);
    expect(client).toBeInstanceOf(CoreClient);
    expect(injector.get(DurableStreamsClient)).toBe(client);
    expect(clientRuntimeOf(client)!.options.baseUrl).toBe('http://streams.test/v1/stream');
    expect(clientRuntimeOf(client)!.options.timeoutMs).toBe(1234);
    expect(client.stream('chat/1').url).toBe('http://streams.test/v1/stream/chat/1');
    injector.destroy();
  });

  it('takes its options from a function run in the injection context', () => {
    const API = new InjectionToken<string>('API');
    const injector = environment(
      { provide: API, useValue: 'http://from-config.test' },
      provideDurableStreams(() => ({ baseUrl: `${inject(API)}/v1/stream` })),
    );
    expect(injector.get(DURABLE_STREAMS_OPTIONS)).toEqual({ baseUrl: 'http://from-config.test/v1/stream' });
    expect(clientRuntimeOf(injector.get(DurableStreamsClient))!.options.baseUrl).toBe(
      'http://from-config.test/v1/stream',
    );
  });

  it('uses fetch by default, even where the Node entry made undici the default', async () => {
    const fetchSpy = jest.spyOn(globalThis, 'fetch').mockResolvedValue(new Response(null, { status: 404 }));
    try {
      const client = environment(provideDurableStreams({ baseUrl: 'http://streams.test/v1/stream' })).get(
        DurableStreamsClient,
      );
      await expect(firstValueFrom(streamExists(client.stream('missing')))).resolves.toBe(false);
      expect(fetchSpy).toHaveBeenCalledTimes(1);
      expect(String(fetchSpy.mock.calls[0][0] as URL | string)).toBe('http://streams.test/v1/stream/missing');
    } finally {
      fetchSpy.mockRestore();
    }
  });

  it('uses the transport given in the options', async () => {
    const transport = recordingTransport();
    const client = environment(provideDurableStreams({ baseUrl: streamBase(), transport })).get(DurableStreamsClient);
    await firstValueFrom(streamExists(client.stream(uniquePath('ng'))));
    expect(transport.requests.map((request) => request.method)).toEqual(['HEAD']);
  });

  it('reports invalid options with InvalidArgumentError when the client is first injected', () => {
    const injector = environment(provideDurableStreams({ baseUrl: 'not a url' }));
    expect(() => injector.get(DurableStreamsClient)).toThrow(InvalidArgumentError);
  });

  it('feeds a signal with toSignal from a live read, and destroying the injector aborts the read', async () => {
    const transport = recordingTransport();
    const injector = environment(provideDurableStreams({ baseUrl: streamBase(), transport }));
    const stream = injector.get(DurableStreamsClient).stream(uniquePath('ng-live'));
    await firstValueFrom(createStream(stream, { contentType: 'application/json' }));
    await firstValueFrom(appendJson(stream, { n: 1 }));

    const messages = runInInjectionContext(injector, () =>
      toSignal(
        readJson<{ n: number }>(stream, { live: 'long-poll' }).pipe(
          scan((all: number[], batch: JsonBatch<{ n: number }>) => [...all, ...batch.items.map((item) => item.n)], []),
        ),
        { initialValue: [] as number[] },
      ),
    );
    await until(() => messages().length === 1, 'the first message');
    const { nextOffset } = await firstValueFrom(appendJson(stream, { n: 2 }));
    await until(() => messages().length === 2, 'the live message');
    expect(messages()).toEqual([1, 2]);

    // The read now holds a long-poll open at the tail, waiting for more.
    const tail = () => transport.requests.filter((request) => request.method === 'GET').at(-1)!;
    await until(() => new URL(tail().url).searchParams.get('offset') === nextOffset, 'the long-poll at the tail');
    const held = tail();
    expect(held.signal.aborted).toBe(false);
    injector.destroy();
    expect(held.signal.aborted).toBe(true);
    const count = transport.requests.length;
    await sleep(100);
    expect(transport.requests.length).toBe(count);
  });

  it('takeUntilDestroyed(DestroyRef) ends a subscription made in a service or component', async () => {
    const transport = recordingTransport({ request: () => new Promise(() => undefined) });
    const injector = environment(provideDurableStreams({ baseUrl: 'http://streams.test/v1/stream', transport }));
    const subscription = runInInjectionContext(injector, () =>
      readJson(inject(DurableStreamsClient).stream('s'), { live: 'sse' })
        .pipe(takeUntilDestroyed(inject(DestroyRef)))
        .subscribe(),
    );
    await until(() => transport.requests.length === 1, 'the request');
    injector.destroy();
    expect(subscription.closed).toBe(true);
    expect(transport.requests[0].signal.aborted).toBe(true);
  });
});
