import { defer, from, switchMap, type Observable, type ObservableInput } from 'rxjs';
import { DurableStreamError } from '../errors/durable-stream-error.js';
import { NetworkError } from '../errors/client-errors.js';
import { RateLimitedError, ServerError } from '../errors/http-errors.js';
import { errorFromResponse } from '../errors/error-from-response.js';
import { retryWithBackoff } from '../retry/retry-with-backoff.js';
import type { RetryConfig } from '../retry/retry-config.js';
import { stripQuery, withQuery, type QueryParams } from '../protocol/url.js';
import { exchange, type OutgoingRequest } from '../transport/exchange.js';
import type { HttpRequest, HttpResponse } from '../transport/http-transport.js';
import type { ResolvedClientOptions } from './client-options.js';
import { resolveDynamic, type DynamicRecord } from './dynamic-values.js';
import { andThen, isPromiseLike } from '../util/is-promise-like.js';

/** A request as an operation describes it, before dynamic headers and params. */
export interface RequestSpec {
  readonly method: HttpRequest['method'];
  readonly url: string;
  readonly query?: QueryParams;
  /** Protocol headers; they win over user headers. Lower-case names. */
  readonly headers?: Readonly<Record<string, string>>;
  readonly body?: Uint8Array | string;
  /** Per-call user headers and params, layered over the client's. */
  readonly userHeaders?: DynamicRecord;
  readonly userParams?: DynamicRecord;
  /** Overrides the client's header timeout (long-poll waits longer). */
  readonly timeoutMs?: number;
  /** See {@link HttpRequest.lane}. */
  readonly lane?: string;
}

/**
 * Which failures may be repeated: `idempotent` requests (GET, HEAD, PUT,
 * close) retry every retryable error; `unsafe` ones (a plain append) only
 * those where the server surely did not apply the request, so nothing is
 * ever written twice.
 */
export type RetrySafety = 'idempotent' | 'unsafe';

const lower = (key: string) => key.toLowerCase();

/** The request executor under every operation: dynamic values, exchange, typed errors, retry. */
export class StreamHttp {
  constructor(readonly options: ResolvedClientOptions) {}

  /** One attempt: evaluates dynamic headers and params, sends, maps error statuses. */
  attempt<T>(spec: RequestSpec, onSuccess: (response: HttpResponse, request: OutgoingRequest) => ObservableInput<T>): Observable<T> {
    const send = (request: OutgoingRequest) =>
      exchange(
        this.options.transport,
        request,
        (response) => (response.status >= 200 && response.status < 300 ? onSuccess(response, request) : rejectWith(response, request)),
        spec.timeoutMs ?? this.options.timeoutMs,
      );
    return defer(() => {
      const request = this.build(spec);
      // Dynamic values that are all at hand cost no tick: the request leaves on subscribe.
      return isPromiseLike<OutgoingRequest>(request) ? from(request).pipe(switchMap(send)) : send(request);
    });
  }

  /** An attempt wrapped in bounded backoff retries. */
  call<T>(
    spec: RequestSpec,
    onSuccess: (response: HttpResponse, request: OutgoingRequest) => ObservableInput<T>,
    safety: RetrySafety,
    retry?: Partial<RetryConfig>,
  ): Observable<T> {
    return this.attempt(spec, onSuccess).pipe(
      retryWithBackoff<T>({ ...this.options.retry, ...retry }, this.options.scheduler, {
        retryIf: safety === 'idempotent' ? isRetryableError : isSafeToRepeat,
      }),
    );
  }

  private build(spec: RequestSpec): OutgoingRequest | Promise<OutgoingRequest> {
    const { headers: clientHeaders, params: clientParams } = this.options;
    const url = stripQuery(spec.url);
    // Headers first, then params, each function in order, as with any await between them.
    return andThen(resolveDynamic([clientHeaders, spec.userHeaders], 'headers', url, lower), (userHeaders) =>
      andThen(resolveDynamic([clientParams, spec.userParams], 'params', url), (userParams) => outgoing(spec, userHeaders, userParams)),
    );
  }
}

function outgoing(spec: RequestSpec, userHeaders: Record<string, string>, userParams: Record<string, string>): OutgoingRequest {
  return {
    method: spec.method,
    url: withQuery(spec.url, { ...userParams, ...spec.query }),
    headers: { ...userHeaders, ...spec.headers },
    ...(spec.body === undefined ? {} : { body: spec.body }),
    ...(spec.lane === undefined ? {} : { lane: spec.lane }),
  };
}

function isRetryableError(error: unknown): boolean {
  return error instanceof DurableStreamError && error.isRetryable;
}

/** The failures after which the server surely did not apply a request. */
export function isSafeToRepeat(error: unknown): boolean {
  if (error instanceof NetworkError) return error.notSent;
  if (error instanceof RateLimitedError) return true;
  return error instanceof ServerError && error.status === 503;
}

const MAX_ERROR_BODY = 4096;

async function rejectWith(response: HttpResponse, request: OutgoingRequest): Promise<never> {
  const text = request.method === 'HEAD' ? '' : await readErrorText(response);
  const headers: Record<string, string> = {};
  for (const [name, value] of response.headers.entries()) headers[name.toLowerCase()] = value;
  throw errorFromResponse(response.status, headers, text, {
    url: stripQuery(request.url),
    method: request.method,
    headers: request.headers,
  });
}

/** The start of an error body: no more is read (or held in memory), however long or endless the body. */
async function readErrorText(response: HttpResponse): Promise<string> {
  const decoder = new TextDecoder();
  let text = '';
  try {
    for await (const chunk of response.body.stream()) {
      text += decoder.decode(chunk, { stream: true });
      // Leaving the loop early releases the connection.
      if (text.length >= MAX_ERROR_BODY) break;
    }
    text += decoder.decode();
  } catch {
    // Keep what arrived.
  }
  return text.length > MAX_ERROR_BODY ? text.slice(0, MAX_ERROR_BODY) : text;
}
