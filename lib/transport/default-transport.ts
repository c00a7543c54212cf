import { uncheckedFetchTransport } from './fetch/fetch-transport.js';
import type { HttpTransport } from './http-transport.js';

let shared: HttpTransport | undefined;

/**
 * The transport a client uses when none is given: `fetch`, on every
 * platform, created once and shared. Node services that want undici's
 * keep-alive pools and lanes pass `transport: undiciTransport()` from
 * `durable-streams-rx/undici`.
 */
export function defaultTransport(): HttpTransport {
  return (shared ??= uncheckedFetchTransport());
}
