import { fetchTransport } from './fetch/fetch-transport.js';
import type { HttpTransport } from './http-transport.js';

let factory: () => HttpTransport = () => fetchTransport();
let shared: HttpTransport | undefined;

/**
 * The transport a client uses when none is given: `fetch` by default; the
 * Node entry point (`exports` condition `node`) registers undici instead, so
 * undici never reaches a browser bundle. Created once and shared.
 */
export function defaultTransport(): HttpTransport {
  return (shared ??= factory());
}

/** Replaces the default transport factory. Called by the Node entry point. */
export function registerDefaultTransport(create: () => HttpTransport): void {
  factory = create;
  shared = undefined;
}
