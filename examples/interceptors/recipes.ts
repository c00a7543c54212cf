/*
 * The interceptor recipes of docs/interceptors.md, as code the suite type-checks
 * and runs (spec/transport/interceptor-recipes.spec.ts). Each `#region` is
 * quoted in the docs verbatim (the spec checks it), the import path aside.
 */
// #region imports
import { context, propagation, SpanKind, SpanStatusCode, trace, type Tracer } from '@opentelemetry/api';
import type { HttpBody, HttpRequest, HttpResponse, TransportInterceptor } from '../../lib/index.js';
// #endregion imports

// #region auth
/**
 * Adds a bearer token to requests for `origin` (and only there: credentials
 * go where they were meant to). A 401 refreshes the token and sends the
 * request once more: the server refused it, so nothing was applied and even a
 * plain append is safe to repeat.
 */
export function bearerAuth(
  origin: string,
  tokens: { current(): Promise<string>; refresh(): Promise<string> },
): TransportInterceptor {
  const withToken = (request: HttpRequest, token: string): HttpRequest => ({
    ...request, // keeps lane, longLived, signal and onSent
    headers: { ...request.headers, authorization: `Bearer ${token}` },
  });
  return async (request, next) => {
    if (new URL(request.url).origin !== origin) return next(request);
    const response = await next(withToken(request, await tokens.current()));
    if (response.status !== 401) return response;
    await response.body.dump(); // frees the connection
    return next(withToken(request, await tokens.refresh()));
  };
}
// #endregion auth

// #region watch-body
/**
 * The response with a body that calls `done` once, when it has been read to
 * the end, abandoned or discarded (with the bytes that passed) or failed.
 * Chunks pass on as they arrive: nothing is buffered, so SSE and long-poll
 * bodies still stream. A HEAD response has no body: done at once.
 */
export function watchBody(
  request: HttpRequest,
  response: HttpResponse,
  done: (bytes: number, error?: unknown) => void,
): HttpResponse {
  if (request.method === 'HEAD') {
    done(0);
    return response;
  }
  let bytes = 0;
  let finished = false;
  const finish = (error?: unknown) => {
    if (!finished) {
      finished = true;
      done(bytes, error);
    }
  };
  const watched =
    <T>(read: () => Promise<T>, size: (value: T) => number) =>
    async (): Promise<T> => {
      try {
        const value = await read();
        bytes += size(value);
        finish();
        return value;
      } catch (error) {
        finish(error);
        throw error;
      }
    };
  const body: HttpBody = {
    stream: async function* () {
      try {
        for await (const chunk of response.body.stream()) {
          bytes += chunk.byteLength;
          yield chunk;
        }
      } catch (error) {
        finish(error);
        throw error;
      } finally {
        finish(); // read to the end, or left early (an unsubscribe)
      }
    },
    bytes: watched(
      () => response.body.bytes(),
      (value) => value.byteLength,
    ),
    text: watched(
      () => response.body.text(),
      (value) => new TextEncoder().encode(value).byteLength,
    ),
    dump: () => response.body.dump().finally(() => finish()),
  };
  return { status: response.status, headers: response.headers, body };
}
// #endregion watch-body

// #region logging
/** One line per request when its headers arrive, and one when its body ends; URLs without their query (tokens, offsets). */
export function logRequests(log: (line: string) => void): TransportInterceptor {
  return async (request, next) => {
    const started = Date.now();
    const what = `${request.method} ${request.url.split('?')[0]}`;
    try {
      const response = await next(request);
      log(`${what} -> ${response.status} after ${Date.now() - started} ms`);
      return watchBody(request, response, (bytes, error) =>
        log(
          `${what} body ${error ? 'failed' : 'ended'}: ${bytes} bytes after ${Date.now() - started} ms${request.longLived ? ' (live)' : ''}`,
        ),
      );
    } catch (error) {
      log(`${what} failed after ${Date.now() - started} ms: ${String(error)}`);
      throw error;
    }
  };
}
// #endregion logging

// #region tracing
/**
 * An OpenTelemetry client span per request (each retry its own), from the
 * request until its body ends, with the trace context propagated in the
 * request's headers (`traceparent` with the W3C propagator).
 */
export function tracing(tracer: Tracer = trace.getTracer('durable-streams-rx')): TransportInterceptor {
  return async (request, next) => {
    const url = new URL(request.url);
    const span = tracer.startSpan(request.method, {
      kind: SpanKind.CLIENT,
      attributes: {
        'http.request.method': request.method,
        'url.full': `${url.origin}${url.pathname}`, // the query may carry credentials
        'server.address': url.hostname,
        'server.port': Number(url.port || (url.protocol === 'https:' ? 443 : 80)),
      },
    });
    const headers = { ...request.headers };
    propagation.inject(trace.setSpan(context.active(), span), headers);
    const fail = (error: unknown) => {
      // An unsubscribe aborts the request: a cancellation, not a failure.
      if (!request.signal.aborted) {
        span.recordException(error instanceof Error ? error : String(error));
        span.setStatus({ code: SpanStatusCode.ERROR });
      }
      span.end();
    };
    try {
      const response = await next({ ...request, headers });
      span.setAttribute('http.response.status_code', response.status);
      if (response.status >= 400) span.setStatus({ code: SpanStatusCode.ERROR });
      return watchBody(request, response, (bytes, error) => {
        span.setAttribute('http.response.body.size', bytes);
        if (error === undefined) span.end();
        else fail(error);
      });
    } catch (error) {
      fail(error);
      throw error;
    }
  };
}
// #endregion tracing

// #region test-seam
/**
 * A test double at the seam: answers the requests `answer` knows (without a
 * network), passes the others on. For exact wire shapes prefer nock or
 * undici's MockAgent; this is for a component test that needs one answer.
 */
export function answering(
  answer: (request: HttpRequest) => { status: number; headers?: Record<string, string>; body?: string } | undefined,
): TransportInterceptor {
  return async (request, next) => {
    const canned = answer(request);
    if (!canned) return next(request);
    const bytes = new TextEncoder().encode(canned.body ?? '');
    const headers = Object.fromEntries(
      Object.entries(canned.headers ?? {}).map(([name, value]) => [name.toLowerCase(), value]),
    );
    return {
      status: canned.status,
      headers: { get: (name) => headers[name.toLowerCase()] ?? null, entries: () => Object.entries(headers) },
      body: {
        bytes: async () => bytes,
        text: async () => canned.body ?? '',
        stream: async function* () {
          if (bytes.byteLength > 0) yield bytes;
        },
        dump: async () => undefined,
      },
    };
  };
}
// #endregion test-seam
