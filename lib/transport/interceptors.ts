import { DurableStreamError } from '../errors/durable-stream-error.js';
import { InvalidArgumentError, NetworkError } from '../errors/client-errors.js';
import { stripQuery } from '../protocol/url.js';
import type { HttpRequest, HttpResponse, HttpTransport } from './http-transport.js';

/**
 * Passes a request on to the next interceptor, or to the transport after
 * the last one. Resolves when the response headers have arrived; the body
 * may still be streaming.
 */
export type TransportNext = (request: HttpRequest) => Promise<HttpResponse>;

/**
 * A function at the transport seam, in the style of Angular's
 * `HttpInterceptorFn`: it sees every request a client sends (reads,
 * one-shot operations, producer batches, subscriptions), after dynamic
 * headers and params were evaluated for that attempt, and may change the
 * request, observe or replace the response, or answer without calling
 * `next` at all.
 *
 * ```ts
 * const auth: TransportInterceptor = async (request, next) =>
 *   next({ ...request, headers: { ...request.headers, authorization: `Bearer ${await tokens.current()}` } });
 * ```
 *
 * - Replace the request by spreading it (`{ ...request, headers }`), so
 *   `lane` and `longLived` (hints the transport orders and pools by) go on.
 *   The transport always gets the SDK's own `signal` and `onSent`, whatever
 *   an interceptor passes: unsubscribing and timeouts abort the request
 *   through any chain. To give up early, reject instead.
 * - Return the response without reading its body to keep it streaming
 *   (SSE, long-poll); wrap `body.stream()` to watch bytes pass.
 * - A {@link DurableStreamError} thrown (or rejected with) reaches the
 *   caller as it is, with its own retry decision. Anything else is a
 *   `NetworkError`, retried as a network failure; thrown before `next` was
 *   called it has `notSent: true`, since nothing left, so even a plain
 *   append is repeated.
 */
export type TransportInterceptor = (request: HttpRequest, next: TransportNext) => Promise<HttpResponse>;

/**
 * `transport` with `interceptors` around it (checked: called when the client
 * is made): the first listed is the outermost, seeing the request first and
 * the response last. Without interceptors, `transport` itself.
 */
export function interceptedTransport(
  transport: HttpTransport,
  interceptors: readonly TransportInterceptor[] | undefined,
): HttpTransport {
  if (!interceptors?.length) return transport;
  if (!interceptors.every((interceptor) => typeof interceptor === 'function'))
    throw new InvalidArgumentError('interceptors must be an array of functions');
  return {
    reportsSent: transport.reportsSent,
    request: (original) => {
      let sent = false;
      // The SDK's signal and onSent reach the transport whatever an interceptor passes on.
      const send: TransportNext = (request) => (
        (sent = true),
        transport.request(
          request === original ? request : { ...request, signal: original.signal, onSent: original.onSent },
        )
      );
      // A chain per request (a few closures) knows whether this request reached the transport; async turns a synchronous throw into a rejection.
      const chain = interceptors.reduceRight<TransportNext>(
        (next, interceptor) => async (request) => interceptor(request, next),
        send,
      );
      // Typed errors and the transport's own pass (the exchange maps the latter); a failure before the transport was called left nothing sent.
      return chain(original).catch((error: unknown) => {
        throw error instanceof DurableStreamError || sent
          ? error
          : new NetworkError({
              url: stripQuery(original.url),
              cause: error,
              notSent: true,
              hint: 'An interceptor failed: not sent',
            });
      });
    },
  };
}
