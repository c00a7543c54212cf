/**
 * `durable-streams-rx/state`: the State Protocol, an entry point of its own
 * so that apps that only read or write streams never carry it:
 * `materialize()` folds a JSON stream of change messages into collections;
 * `createStateSchema()` types the collections and builds their change
 * messages; `stateStore()` reads them into a view and writes optimistic
 * mutations back, confirmed by txid.
 */
export { materialize } from './materialize.js';
export { StateProtocolError } from './state-protocol-error.js';
export { StateValidationError } from './state-validation-error.js';
export { MutationFailedError } from './mutation-failed-error.js';
export {
  createStateSchema,
  type CollectionDefinition,
  type CollectionWithHelpers,
  type EntitiesOf,
  type EntityOf,
  type StateMessageOf,
  type StateSchema,
  type StreamStateDefinition,
} from './schema.js';
export type { ChangeHeadersInit, CollectionEventHelpers } from './change-helpers.js';
export { stateStore } from './state-store.js';
export type { MutationResult, StateStore, StateStoreOptions, StateStoreStart } from './state-store-options.js';
export type { StateProducerOptions } from './mutation-writer.js';
export type { PendingMutation, StateCollections, StateView } from './state-view.js';
export type { ChangeOptions, CollectionTransaction, Transaction } from './transaction.js';
export type {
  ChangeMessage,
  ChangeOperation,
  ControlMessage,
  ControlSignal,
  StateBatch,
  StateBatchLike,
  StateMessage,
} from './messages.js';
export type { Collection, Collections, MaterializeOptions, StateSnapshot } from './snapshot.js';
