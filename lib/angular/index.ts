/**
 * durable-streams-rx/angular: Angular providers, `streamResource()` and
 * feature functions (Angular >= 20). Built as ES modules and as CommonJS,
 * each importing the main entry of the same format, so the client a
 * component injects is the class the provider made. Everything else,
 * operators included, comes from the main entry.
 */
export { provideDurableStreams, DURABLE_STREAMS_OPTIONS } from './provide-durable-streams.js';
export {
  withFetchTransport,
  withHttpClientTransport,
  withCrossTabSharing,
  DurableStreamsFeatureKind,
  type DurableStreamsFeature,
} from './features.js';
export {
  streamResource,
  type StreamResourceRef,
  type StreamResourceRequest,
  type StreamResourceOptions,
  type StreamResourceReduceOptions,
  type StreamResourceMaterializeOptions,
} from './stream-resource.js';
export type { StreamResourceStatus } from './read-status.js';
export {
  injectStateStore,
  type InjectStateStoreOptions,
  type StateStoreRef,
  type StateStoreStatus,
} from './inject-state-store.js';
export { injectProducer, type InjectProducerOptions, type ProducerRef } from './inject-producer.js';
export { httpClientTransport } from './http-client-transport.js';
export { ResponseTooLargeError } from './response-too-large-error.js';
export { DurableStreamsClient } from '../index.js';
