/**
 * durable-streams-rx: an RxJS-native client for the Durable Streams protocol.
 * The same module graph on every platform, `fetch` the default transport;
 * the undici transport for Node services is `durable-streams-rx/undici`.
 */
export { DurableStreamsClient } from './client/durable-streams-client.js';
export { DurableStream, type StreamHandleOptions, type ForkResult } from './client/durable-stream.js';
export type { DurableStreamsClientOptions, ResolvedClientOptions } from './http/client-options.js';
export type { DynamicRecord, DynamicValue } from './http/dynamic-values.js';
export type { RequestOptions } from './http/stream-context.js';
export type { CreateOptions, CreateResult } from './operations/create.js';
export type { AppendOptions, AppendResult, CloseResult, Delivery } from './operations/append.js';
export type { ForkOptions } from './operations/fork.js';
export type { StreamMetadata } from './operations/stream-metadata.js';
export { Offset, type Checkpoint } from './protocol/offset.js';
export { IdempotentProducer, type ProducerAck } from './produce/idempotent-producer.js';
export { DEFAULT_PRODUCER_OPTIONS, type ProducerOptions } from './produce/producer-options.js';
export {
  DeliveryTimeoutError,
  ProducerBufferFullError,
  ProducerClosedError,
  ProducerSourceError,
  ValueTooLargeError,
  type BufferLimit,
  type SizeLimit,
  type ProducerStopReason,
} from './produce/producer-errors.js';
export type { Chunk, TextChunk, JsonBatch, ReadPosition } from './read/chunk.js';
export type { ReadOptions, LiveMode, ReadErrorHandler, ReadErrorDecision, ReadRetryWith } from './read/read-options.js';
export type { ConnectionState, ConnectionStateObserver } from './read/connection-state.js';
export { SseUnavailableError, type SseUnavailableReason } from './read/sse-unavailable-error.js';
export { items } from './operators/items.js';
export { collectBytes, collectText, collectItems } from './operators/collect.js';
export { untilUpToDate } from './operators/until-up-to-date.js';
export * from './errors/index.js';
export { retryWithBackoff, backoffDelay, type RetryWithBackoffOptions } from './retry/retry-with-backoff.js';
export { materialize } from './state/materialize.js';
export { StateProtocolError } from './state/state-protocol-error.js';
export {
  loadCheckpoint,
  CheckpointStorageError,
  type CheckpointStorage,
  type SyncKeyValueStorage,
  type AsyncKeyValueStore,
  type Checkpointed,
} from './operators/checkpoint-storage.js';
export { persistCheckpoint, type PersistCheckpointOptions } from './operators/persist-checkpoint.js';
export { resumable } from './operators/resumable.js';
export { consume, type ConsumeOptions, type ConsumeHandler } from './operators/consume.js';
export { pauseWhileHidden, type PauseWhileHiddenOptions } from './operators/pause-while-hidden.js';
export { documentVisibility, type VisibilitySource } from './operators/document-visibility.js';
export type { ChangeMessage, ChangeOperation, ControlMessage, ControlSignal, StateBatch, StateMessage } from './state/messages.js';
export type { Collection, Collections, MaterializeOptions, StateSnapshot } from './state/snapshot.js';
export { DEFAULT_RETRY, resolveRetryConfig, type RetryConfig } from './retry/retry-config.js';
export type { HttpTransport, HttpRequest, HttpResponse, HttpHeaders, HttpBody } from './transport/http-transport.js';
export { fetchTransport, type FetchTransportOptions } from './transport/fetch/fetch-transport.js';
