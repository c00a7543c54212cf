/**
 * durable-streams-rx: an RxJS-native client for the Durable Streams protocol.
 * The same module graph on every platform, `fetch` the default transport;
 * the undici transport for Node services is `durable-streams-rx/undici`, the
 * State Protocol's `materialize()` is `durable-streams-rx/state`.
 *
 * Operations are standalone functions on a stream handle
 * (`readJson(client.stream('chat/42'))`), so a bundle carries only the
 * operations it imports.
 */
export { DurableStreamsClient, type StreamHandleOptions } from './client/durable-streams-client.js';
export type { DurableStream } from './http/stream-handle.js';
export type { DurableStreamsClientOptions } from './http/client-options.js';
export type { CatchUpSharing } from './http/catch-up-sharing.js';
export type { DynamicRecord, DynamicValue } from './http/dynamic-values.js';
export type { RequestOptions } from './http/stream-context.js';
export { createStream, type CreateStreamOptions, type CreateResult } from './operations/create.js';
export {
  append,
  appendJson,
  closeStream,
  type AppendOptions,
  type AppendResult,
  type CloseStreamOptions,
  type CloseResult,
  type Delivery,
} from './operations/append.js';
export { headStream, streamExists, type HeadStreamOptions } from './operations/head-stream.js';
export { deleteStream, type DeleteStreamOptions } from './operations/delete-stream.js';
export { forkStream, type ForkStreamOptions, type ForkResult } from './operations/fork.js';
export type { StreamMetadata } from './operations/stream-metadata.js';
export { Offset, type Checkpoint } from './protocol/offset.js';
export { readBytes, readText, readJson } from './read/read-stream.js';
export { sharedCatchUps } from './read/shared-catch-up.js';
export type { ByteChunk, TextChunk, JsonBatch, ReadPosition } from './read/chunk.js';
export type { ReadOptions, LiveMode, ReadErrorHandler, ReadErrorDecision, ReadRetryWith } from './read/read-options.js';
export type { ConnectionState, ConnectionStateObserver } from './read/connection-state.js';
export { SseUnavailableError, type SseUnavailableReason } from './read/sse-unavailable-error.js';
export { idempotentProducer } from './produce/idempotent-producer-of.js';
export type { IdempotentProducer, ProducerAck } from './produce/idempotent-producer.js';
export type { ProducerOptions } from './produce/producer-options.js';
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
export { memoryOutbox } from './produce/outbox/memory-outbox.js';
export { discardOutbox } from './produce/outbox/discard-outbox.js';
export { indexedDbOutbox, type IndexedDbOutboxOptions } from './produce/outbox/indexed-db/indexed-db-outbox.js';
export { tabProducer, type TabProducerOptions } from './produce/outbox/tabs/tab-producer.js';
export type {
  ProducerOutbox,
  OutboxSession,
  OutboxContents,
  OutboxPosition,
  OutboxBatch,
  OutboxChange,
} from './produce/outbox/producer-outbox.js';
export {
  DeliveryOverdueError,
  OutboxError,
  OutboxLockedError,
  type OutboxErrorReason,
} from './produce/outbox/outbox-errors.js';
export type { ProducerStatus } from './produce/producer-status.js';
export { items } from './operators/items.js';
export { collectBytes, collectText, collectItems } from './operators/collect.js';
export { untilUpToDate } from './operators/until-up-to-date.js';
export { DurableStreamError, isRetryable, type ErrorHeaders } from './errors/durable-stream-error.js';
export * from './errors/http-errors.js';
export * from './errors/client-errors.js';
export { ProtocolError } from './errors/protocol-error.js';
export { retryWithBackoff, type RetryWithBackoffOptions } from './retry/retry-with-backoff.js';
export { DEFAULT_RETRY, type RetryConfig } from './retry/retry-config.js';
/* eslint-disable @typescript-eslint/no-deprecated -- these functions keep a deprecated call shape as an overload for one release */
export {
  loadCheckpoint,
  saveCheckpoint,
  clearCheckpoint,
  CheckpointStorageError,
  type CheckpointStorage,
  type CheckpointStorageOptions,
  type SyncKeyValueStorage,
  type AsyncKeyValueStore,
  type Checkpointed,
} from './operators/checkpoint-storage.js';
export { persistCheckpoint, type PersistCheckpointOptions } from './operators/persist-checkpoint.js';
export {
  resumable,
  type ResumableOptions,
  type ResumableState,
  type ResumableStateOptions,
  type BatchWithState,
} from './operators/resumable.js';
/* eslint-enable @typescript-eslint/no-deprecated */
export { consume, type ConsumeOptions, type ConsumeHandler } from './operators/consume.js';
export { pauseWhileHidden, type PauseWhileHiddenOptions } from './operators/pause-while-hidden.js';
export { documentVisibility, type VisibilitySource } from './operators/document-visibility.js';
export type { HttpTransport, HttpRequest, HttpResponse, HttpHeaders, HttpBody } from './transport/http-transport.js';
export type { TransportInterceptor, TransportNext } from './transport/interceptors.js';
export { fetchTransport, type FetchTransportOptions } from './transport/fetch/fetch-transport.js';
