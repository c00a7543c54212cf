/**
 * `durable-streams-rx/undici`: the undici transport, the fast path for Node
 * services (producers, many live reads). The main entry never imports
 * undici; pass `transport: undiciTransport()` to a client to use it.
 */
export {
  undiciTransport,
  type UndiciTransport,
  type UndiciTransportOptions,
} from './transport/undici/undici-transport.js';
