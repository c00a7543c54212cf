/**
 * durable-streams-rx/angular/testing: test components and services that
 * read or append without a server, in the style of Angular's
 * `provideHttpClientTesting()` and `HttpTestingController`.
 */
import { makeEnvironmentProviders, type EnvironmentProviders } from '@angular/core';
import { DURABLE_STREAMS_TRANSPORT } from '../features.js';
import { DurableStreamsTestingController } from './controller.js';

export { DurableStreamsTestingController, type StreamMatch } from './controller.js';
export { TestRead, type PushOptions } from './test-read.js';
export { TestRequest, TestAppend } from './test-request.js';
export type { PushedData } from './wire.js';

/**
 * Replaces the transport of `provideDurableStreams()` (list it after that)
 * with a testing backend: no request leaves the process; inject
 * {@link DurableStreamsTestingController} to expect and answer them.
 *
 * ```ts
 * TestBed.configureTestingModule({ providers: [provideDurableStreams({ baseUrl: 'http://streams.test/v1/stream' }), provideDurableStreamsTesting()] });
 * ```
 */
export function provideDurableStreamsTesting(): EnvironmentProviders {
  return makeEnvironmentProviders([
    { provide: DurableStreamsTestingController, useFactory: () => new DurableStreamsTestingController() },
    {
      provide: DURABLE_STREAMS_TRANSPORT,
      useFactory: (controller: DurableStreamsTestingController) => controller.transport,
      deps: [DurableStreamsTestingController],
    },
  ]);
}
