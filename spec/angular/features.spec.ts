import '@angular/compiler'; // PlatformLocation is partially compiled: JIT-linked in specs
import { PlatformLocation } from '@angular/common';
import {
  createEnvironmentInjector,
  Injector,
  type EnvironmentInjector,
  type EnvironmentProviders,
  type Provider,
} from '@angular/core';
import { firstValueFrom } from 'rxjs';
import {
  DurableStreamsClient,
  DurableStreamsFeatureKind,
  provideDurableStreams,
  withCrossTabSharing,
  withFetchTransport,
  withHttpClientTransport,
} from '../../lib/angular/index';
import { DurableStreamsTestingController, provideDurableStreamsTesting } from '../../lib/angular/testing/index';
import type { HttpTransport } from '../../lib/index';
import { appendJson, streamExists } from '../../lib/index';
import { clientRuntimeOf } from '../../lib/client/durable-streams-client';

function environment(...providers: Array<Provider | EnvironmentProviders>): EnvironmentInjector {
  return createEnvironmentInjector(providers, Injector.NULL as EnvironmentInjector);
}

const location = (href: string): Provider => {
  const url = new URL(href);
  return {
    provide: PlatformLocation,
    useValue: { protocol: url.protocol, hostname: url.hostname, port: url.port, href },
  };
};

describe('provideDurableStreams() features', () => {
  it('withFetchTransport(options) passes its options to fetch, and wins over options.transport', async () => {
    const unused: HttpTransport = { request: () => Promise.reject(new Error('options.transport was used')) };
    const fetchSpy = jest.fn(
      async (_url: string | URL | Request, _init?: RequestInit) => new Response(null, { status: 404 }),
    );
    const client = environment(
      provideDurableStreams(
        { baseUrl: 'http://streams.test/v1/stream', transport: unused },
        withFetchTransport({ fetch: fetchSpy, credentials: 'include' }),
      ),
    ).get(DurableStreamsClient);
    await expect(firstValueFrom(streamExists(client.stream('s')))).resolves.toBe(false);
    expect(fetchSpy).toHaveBeenCalledTimes(1);
    expect(fetchSpy.mock.calls[0][1]).toMatchObject({ method: 'HEAD', credentials: 'include' });
  });

  it('withCrossTabSharing(false) turns the client option shareAcrossTabs off, and wins over the options', () => {
    const effective = (injector: EnvironmentInjector) =>
      clientRuntimeOf(injector.get(DurableStreamsClient))!.options.shareAcrossTabs;
    expect(effective(environment(provideDurableStreams({}, withCrossTabSharing(false))))).toBe(false);
    expect(effective(environment(provideDurableStreams({ shareAcrossTabs: true }, withCrossTabSharing(false))))).toBe(
      false,
    );
    expect(effective(environment(provideDurableStreams({ shareAcrossTabs: false }, withCrossTabSharing(true))))).toBe(
      true,
    );
    expect(effective(environment(provideDurableStreams({})))).toBe(true);
    expect(effective(environment(provideDurableStreams({ shareAcrossTabs: false })))).toBe(false);
  });

  it('refuses the same feature twice, and two transports', () => {
    expect(() => provideDurableStreams({}, withCrossTabSharing(false), withCrossTabSharing(true))).toThrow(/once/);
    expect(() => provideDurableStreams({}, withFetchTransport(), withHttpClientTransport())).toThrow(
      /both choose the transport/,
    );
    expect(withHttpClientTransport().ɵkind).toBe(DurableStreamsFeatureKind.HttpClientTransport);
  });

  it('resolves a baseUrl path against the origin Angular knows (the page, or the request rendered on the server)', () => {
    const client = environment(
      location('https://app.example:8443/feed?x=1'),
      provideDurableStreams({ baseUrl: '/v1/stream' }),
    ).get(DurableStreamsClient);
    expect(clientRuntimeOf(client)!.options.baseUrl).toBe('https://app.example:8443/v1/stream');
    expect(client.stream('chat/1').url).toBe('https://app.example:8443/v1/stream/chat/1');
    const absolute = environment(
      location('https://app.example/'),
      provideDurableStreams({ baseUrl: 'http://api.example/v1/stream' }),
    ).get(DurableStreamsClient);
    expect(clientRuntimeOf(absolute)!.options.baseUrl).toBe('http://api.example/v1/stream');
  });

  it('reports a baseUrl path where no origin is known, as the client does', () => {
    const injector = environment(provideDurableStreams({ baseUrl: '/v1/stream' }));
    expect(() => injector.get(DurableStreamsClient)).toThrow(/baseUrl/);
  });

  it('provideDurableStreamsTesting() replaces the transport, even one given by a feature', async () => {
    const injector = environment(
      provideDurableStreams({ baseUrl: 'http://streams.test/v1/stream' }, withFetchTransport()),
      provideDurableStreamsTesting(),
    );
    const controller = injector.get(DurableStreamsTestingController);
    const appended = firstValueFrom(appendJson(injector.get(DurableStreamsClient).stream('log'), { n: 1 }));
    const append = controller.expectAppend('log');
    expect(append.json).toEqual([{ n: 1 }]);
    expect(append.request.headers['content-type']).toBe('application/json');
    await append.flush('0000000000000007');
    await expect(appended).resolves.toEqual({ nextOffset: '0000000000000007' });
    controller.verify();
  });
});
