/**
 * durable-streams-rx/angular: Angular providers for the SDK (Angular >= 19,
 * ESM only). Everything else, operators included, comes from the main entry.
 */
export { provideDurableStreams, DURABLE_STREAMS_OPTIONS } from './provide-durable-streams.js';
export { DurableStreamsClient } from '../client/durable-streams-client.js';
