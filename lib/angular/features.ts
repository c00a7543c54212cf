import { InjectionToken, type Provider } from '@angular/core';
import { fetchTransport, InvalidArgumentError, type FetchTransportOptions, type HttpTransport } from '../index.js';
import { provideHttpClientTransport } from './http-client-transport.js';

/** Which feature a {@link DurableStreamsFeature} is: at most one of each per `provideDurableStreams()`. */
export enum DurableStreamsFeatureKind {
  /** {@link withFetchTransport}. */
  FetchTransport,
  /** {@link withHttpClientTransport}. */
  HttpClientTransport,
  /** {@link withCrossTabSharing}. */
  CrossTabSharing,
}

/** A feature of {@link provideDurableStreams}, made by a `with...()` function, as `provideHttpClient(with...())` takes them. */
export interface DurableStreamsFeature<Kind extends DurableStreamsFeatureKind = DurableStreamsFeatureKind> {
  /** Which feature this is (private to the SDK, as Angular's own `ɵ` members). */
  readonly ɵkind: Kind;
  /** The providers it adds (private to the SDK). */
  readonly ɵproviders: readonly Provider[];
}

/** The transport chosen by a feature; wins over `options.transport`. */
export const DURABLE_STREAMS_TRANSPORT = new InjectionToken<HttpTransport>('DURABLE_STREAMS_TRANSPORT');

/** Client options set by features, merged over the options object. */
export const DURABLE_STREAMS_FEATURE_OPTIONS = new InjectionToken<Record<string, unknown>[]>(
  'DURABLE_STREAMS_FEATURE_OPTIONS',
);

function feature<Kind extends DurableStreamsFeatureKind>(
  kind: Kind,
  providers: Provider[],
): DurableStreamsFeature<Kind> {
  return { ɵkind: kind, ɵproviders: providers };
}

/** The SDK's `fetch` transport (the default): say so explicitly, or pass its options (`credentials: 'include'`). */
export function withFetchTransport(
  options: FetchTransportOptions = {},
): DurableStreamsFeature<DurableStreamsFeatureKind.FetchTransport> {
  // Made now, so a bad option fails here; it holds no state, so every injector may share it.
  const transport = fetchTransport(options);
  return feature(DurableStreamsFeatureKind.FetchTransport, [
    { provide: DURABLE_STREAMS_TRANSPORT, useValue: transport },
  ]);
}

/**
 * Sends the SDK's requests through Angular's `HttpClient`, so the app's
 * interceptors (auth, XSRF, logging) and its `HttpBackend` apply. Needs
 * `provideHttpClient()`; SSE needs `withFetch()` there to stream. What it
 * costs (buffering, SSE, long-poll) is in docs/angular.md.
 */
export function withHttpClientTransport(): DurableStreamsFeature<DurableStreamsFeatureKind.HttpClientTransport> {
  return feature(DurableStreamsFeatureKind.HttpClientTransport, provideHttpClientTransport(DURABLE_STREAMS_TRANSPORT));
}

/**
 * Whether reads of the same stream in several tabs of this origin share one
 * connection (`shareAcrossTabs`, where the SDK supports it). `false` gives
 * every tab its own connection.
 */
export function withCrossTabSharing(
  enabled: boolean,
): DurableStreamsFeature<DurableStreamsFeatureKind.CrossTabSharing> {
  if (typeof enabled !== 'boolean') {
    throw new InvalidArgumentError(
      `withCrossTabSharing(enabled): enabled must be true or false, got ${String(enabled)}`,
    );
  }
  return feature(DurableStreamsFeatureKind.CrossTabSharing, [
    { provide: DURABLE_STREAMS_FEATURE_OPTIONS, useValue: { shareAcrossTabs: enabled }, multi: true },
  ]);
}
