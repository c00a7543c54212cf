import { PlatformLocation } from '@angular/common';
import { inject, InjectionToken, makeEnvironmentProviders, type EnvironmentProviders } from '@angular/core';
import {
  DurableStreamsClient,
  fetchTransport,
  InvalidArgumentError,
  type DurableStreamsClientOptions,
} from '../index.js';
import {
  DURABLE_STREAMS_FEATURE_OPTIONS,
  DURABLE_STREAMS_TRANSPORT,
  DurableStreamsFeatureKind,
  type DurableStreamsFeature,
} from './features.js';
import { pendingReads } from './pending-reads.js';

/** The options given to {@link provideDurableStreams}, resolved in the injection context. */
export const DURABLE_STREAMS_OPTIONS = new InjectionToken<DurableStreamsClientOptions>('DURABLE_STREAMS_OPTIONS');

/**
 * Provides a {@link DurableStreamsClient} to the application (or to the
 * environment injector of a lazy route), in the style of
 * `provideHttpClient(with...())`; components then `inject(DurableStreamsClient)`
 * or use {@link streamResource}.
 *
 * `options` is an object, or a function run in the injection context, so it
 * can `inject()` configuration. A `baseUrl` path such as `'/v1/stream'` is
 * resolved against the page's origin, and during server rendering against
 * the origin of the request being rendered. The transport is `fetch` unless
 * a feature or `options.transport` says otherwise (a feature wins).
 *
 * Its reads behave as `HttpClient`'s requests: catching up is pending work
 * (the app is not stable until the read is up to date, so a server render
 * shows the data), a read during a server render completes once caught up
 * instead of going live, and a live read in the browser never holds
 * stability once caught up. See docs/angular.md.
 *
 * ```ts
 * bootstrapApplication(AppComponent, {
 *   providers: [provideZonelessChangeDetection(), provideDurableStreams({ baseUrl: '/v1/stream' }, withCrossTabSharing(false))],
 * });
 * ```
 */
export function provideDurableStreams(
  options: DurableStreamsClientOptions | (() => DurableStreamsClientOptions) = {},
  ...features: DurableStreamsFeature[]
): EnvironmentProviders {
  if (typeof options !== 'function' && (typeof options !== 'object' || (options as unknown) === null)) {
    throw new InvalidArgumentError(
      `provideDurableStreams(options): options must be an object (such as { baseUrl: '/v1/stream' }) or a function returning one, got ${typeof options}`,
    );
  }
  checkFeatures(features);
  return makeEnvironmentProviders([
    { provide: DURABLE_STREAMS_OPTIONS, useFactory: typeof options === 'function' ? options : () => options },
    {
      provide: DurableStreamsClient,
      useFactory: () => {
        const resolved = inject(DURABLE_STREAMS_OPTIONS);
        const fromFeatures = Object.assign(
          {},
          ...(inject(DURABLE_STREAMS_FEATURE_OPTIONS, { optional: true }) ?? []),
        ) as Partial<DurableStreamsClientOptions>;
        const transport =
          inject(DURABLE_STREAMS_TRANSPORT, { optional: true }) ?? resolved.transport ?? fetchTransport();
        return new DurableStreamsClient({
          ...resolved,
          ...fromFeatures,
          baseUrl: resolveBaseUrl(resolved.baseUrl),
          transport,
          ɵdecorateRead: pendingReads(),
        });
      },
    },
    ...features.flatMap((feature) => feature.ɵproviders),
  ]);
}

function checkFeatures(features: readonly DurableStreamsFeature[]): void {
  for (const feature of features as readonly unknown[]) {
    if (typeof (feature as Partial<DurableStreamsFeature> | null)?.ɵkind !== 'number') {
      throw new InvalidArgumentError(
        'provideDurableStreams(options, ...features): each feature must be made by a with...() function ' +
          `(withFetchTransport(), withCrossTabSharing(false), ...), got ${typeof feature}`,
      );
    }
  }
  const kinds = features.map((feature) => feature.ɵkind);
  if (new Set(kinds).size !== kinds.length) {
    throw new InvalidArgumentError('provideDurableStreams(): each with...() feature may be given once');
  }
  if (
    kinds.includes(DurableStreamsFeatureKind.FetchTransport) &&
    kinds.includes(DurableStreamsFeatureKind.HttpClientTransport)
  ) {
    throw new InvalidArgumentError(
      'provideDurableStreams(): withFetchTransport() and withHttpClientTransport() both choose the transport: pass one',
    );
  }
}

/**
 * A path (`'/v1/stream'`) resolved against the origin Angular knows: the
 * page's in a browser, the rendered request's on the server (as Angular's
 * HttpClient resolves relative URLs there). Absolute URLs, and paths where no
 * http(s) origin is known, go to the client unchanged, which reports them.
 */
function resolveBaseUrl(baseUrl: string | undefined): string | undefined {
  if (baseUrl === undefined || !baseUrl.startsWith('/') || baseUrl.startsWith('//')) return baseUrl;
  const location = inject(PlatformLocation, { optional: true });
  if (!location || !/^https?:$/i.test(location.protocol) || !location.hostname || location.hostname === '/')
    return baseUrl;
  const origin = `${location.protocol}//${location.hostname}${location.port ? `:${location.port}` : ''}`;
  return new URL(baseUrl, origin).href;
}
