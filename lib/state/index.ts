/**
 * `durable-streams-rx/state`: the State Protocol (`materialize()` folds a
 * JSON stream of change messages into collections), an entry point of its
 * own so that apps that only read or write streams never carry it.
 */
export { materialize } from './materialize.js';
export { StateProtocolError } from './state-protocol-error.js';
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
