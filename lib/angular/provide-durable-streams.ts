import { inject, InjectionToken, makeEnvironmentProviders, type EnvironmentProviders } from '@angular/core';
import type { DurableStreamsClientOptions } from '../http/client-options.js';
import { DurableStreamsClient } from '../client/durable-streams-client.js';
import { fetchTransport } from '../transport/fetch/fetch-transport.js';

/** The options given to {@link provideDurableStreams}, resolved in the injection context. */
export const DURABLE_STREAMS_OPTIONS = new InjectionToken<DurableStreamsClientOptions>('DURABLE_STREAMS_OPTIONS');

/**
 * Provides a {@link DurableStreamsClient} to the application (or to the
 * environment injector of a lazy route), in the style of
 * `provideHttpClient()`; components then `inject(DurableStreamsClient)`.
 *
 * `options` is an object, or a function run in the injection context, so it
 * can `inject()` configuration. The transport is `fetch` unless you pass one.
 *
 * ```ts
 * bootstrapApplication(AppComponent, {
 *   providers: [provideZonelessChangeDetection(), provideDurableStreams({ baseUrl: 'https://api.example.com/v1/stream' })],
 * });
 * ```
 */
export function provideDurableStreams(
  options: DurableStreamsClientOptions | (() => DurableStreamsClientOptions) = {},
): EnvironmentProviders {
  return makeEnvironmentProviders([
    { provide: DURABLE_STREAMS_OPTIONS, useFactory: typeof options === 'function' ? options : () => options },
    {
      provide: DurableStreamsClient,
      useFactory: () => {
        const resolved = inject(DURABLE_STREAMS_OPTIONS);
        return new DurableStreamsClient({ ...resolved, transport: resolved.transport ?? fetchTransport() });
      },
    },
  ]);
}
