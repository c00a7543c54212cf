import type { HttpTransport } from './http-transport.js';

/** Transports that let go of a request's signal once it is answered ({@link releasesSignals}). */
export const releasingTransports = /* @__PURE__ */ new WeakSet<HttpTransport>();

/**
 * Marks `transport` as letting go of every listener it puts on a request's signal by the time
 * the response is read to its end (not a custom transport, whose hold on the signal is unknown).
 * Its own module, without rxjs: the undici entry marks its transport and must not load rxjs.
 */
export function releasesSignals<T extends HttpTransport>(transport: T): T {
  releasingTransports.add(transport);
  return transport;
}
