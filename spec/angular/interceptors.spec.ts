import '@angular/compiler'; // PlatformLocation is partially compiled: JIT-linked in specs
import { createEnvironmentInjector, inject, InjectionToken, Injector, type EnvironmentInjector } from '@angular/core';
import { firstValueFrom } from 'rxjs';
import { DurableStreamsClient, provideDurableStreams, withFetchTransport } from '../../lib/angular/index';
import { DurableStreamsTestingController, provideDurableStreamsTesting } from '../../lib/angular/testing/index';
import { appendJson, type TransportInterceptor } from '../../lib/index';

/** SDK interceptors in an Angular app: no feature, the options carry them, made in the injection context. */
describe('interceptors with provideDurableStreams()', () => {
  const TOKEN = new InjectionToken<string>('TOKEN');
  const seen: string[] = [];
  const auth =
    (token: string): TransportInterceptor =>
    (request, next) => {
      seen.push(request.method);
      return next({ ...request, headers: { ...request.headers, authorization: `Bearer ${token}` } });
    };

  it('apply to every request of the provided client, whatever the transport, and may inject() what they need', async () => {
    const injector: EnvironmentInjector = createEnvironmentInjector(
      [
        { provide: TOKEN, useValue: 'from-di' },
        provideDurableStreams(
          () => ({ baseUrl: 'http://streams.test/v1/stream', interceptors: [auth(inject(TOKEN))] }),
          withFetchTransport(),
        ),
        provideDurableStreamsTesting(),
      ],
      Injector.NULL as EnvironmentInjector,
    );
    const controller = injector.get(DurableStreamsTestingController);
    const appended = firstValueFrom(appendJson(injector.get(DurableStreamsClient).stream('log'), { n: 1 }));
    const append = controller.expectAppend('log');
    expect(append.request.headers['authorization']).toBe('Bearer from-di');
    await append.flush('0000000000000001');
    await expect(appended).resolves.toEqual({ nextOffset: '0000000000000001' });
    expect(seen).toEqual(['POST']);
    controller.verify();
    injector.destroy();
  });
});
