import { defer, from, switchMap, type Observable, type ObservableInput } from 'rxjs';
import { InvalidArgumentError } from '../errors/client-errors.js';
import { commonErrorFromResponse } from '../errors/common-error-from-response.js';
import { headerProblem } from '../protocol/headers.js';
import { stripQuery } from '../protocol/url.js';
import { exchange, type OutgoingRequest } from '../transport/exchange.js';
import type { HttpResponse } from '../transport/http-transport.js';
import { andThen, isPromiseLike } from '../util/is-promise-like.js';
import type { ResolvedClientOptions } from './client-options.js';
import { resolveDynamic } from './dynamic-values.js';
import { outgoing, type RequestSpec } from './request-spec.js';

const lower = (key: string) => key.toLowerCase();

/** What a request's retries are bounded by: the client's retry policy, and its scheduler (of its options, read-only). */
type RetryPolicy = Pick<ResolvedClientOptions, 'retry' | 'scheduler'>;

/**
 * The request executor under every operation: dynamic values, exchange,
 * typed errors (the retries around an attempt are `callRequest`'s). It runs requests with the client's options and hands
 * them to no one: what a layer needs of the options comes in the client's
 * runtime (`ClientRuntime.options`), not through the executor.
 */
export class RequestExecutor {
  /** The last URL {@link trusts} looked at, and its answer: a stream's requests all go to one URL. */
  private lastUrl = '';
  private lastTrusted = false;

  constructor(private readonly options: ResolvedClientOptions) {}

  /** One attempt: evaluates dynamic headers and params, sends, maps error statuses. */
  attempt<T>(
    spec: RequestSpec,
    onSuccess: (response: HttpResponse, request: OutgoingRequest) => ObservableInput<T>,
  ): Observable<T> {
    const send = (request: OutgoingRequest) =>
      exchange(
        this.options.transport,
        request,
        (response) =>
          response.status >= 200 && response.status < 300
            ? onSuccess(response, request)
            : rejectWith(response, request, spec.errorFrom),
        {
          timeoutMs: spec.timeoutMs ?? this.options.timeoutMs,
          // A body is bounded by the same silence as the headers, unless the request says otherwise.
          bodyTimeoutMs: spec.bodyTimeoutMs ?? this.options.timeoutMs,
          scheduler: this.options.scheduler,
        },
      );
    return defer(() => {
      const request = this.build(spec);
      // Dynamic values that are all at hand cost no tick: the request leaves on subscribe.
      return isPromiseLike<OutgoingRequest>(request) ? from(request).pipe(switchMap(send)) : send(request);
    });
  }

  /**
   * The client's retry policy and scheduler, for the backoff retries `callRequest` (request-call.ts) puts around an
   * attempt: a module of its own, so that a read, which retries its own way, carries none of it.
   */
  get retryPolicy(): RetryPolicy {
    return this.options;
  }

  private build(spec: RequestSpec): OutgoingRequest | Promise<OutgoingRequest> {
    // The client's headers and params (its credentials) go only to the origins it trusts; a call's own go with the call.
    const trusted = this.trusts(spec.url);
    const clientHeaders = trusted ? this.options.headers : undefined;
    const clientParams = trusted ? this.options.params : undefined;
    const url = stripQuery(spec.url);
    // Headers first, then params, each function in order, as with any await between them.
    return andThen(resolveDynamic([clientHeaders, spec.userHeaders], 'headers', url, lower), (userHeaders) =>
      andThen(resolveDynamic([clientParams, spec.userParams], 'params', url), (userParams) =>
        checkedHeaders(outgoing(spec, userHeaders, userParams), url),
      ),
    );
  }

  /**
   * Whether `url`'s origin may receive the client's headers and params: the
   * requests ask it, and so does a cross-tab tail's name, which must carry
   * exactly the credentials its requests do. One URL parse per new URL, not per request.
   */
  trusts(url: string): boolean {
    const origins = this.options.credentialOrigins;
    if (!origins) return true;
    if (url !== this.lastUrl) {
      this.lastUrl = url;
      this.lastTrusted = origins.has(originOf(url));
    }
    return this.lastTrusted;
  }
}

const MAX_ERROR_BODY = 4096;

async function rejectWith(
  response: HttpResponse,
  request: OutgoingRequest,
  errorFrom: RequestSpec['errorFrom'] = commonErrorFromResponse,
): Promise<never> {
  const text = request.method === 'HEAD' ? '' : await readErrorText(response);
  const headers: Record<string, string> = {};
  for (const [name, value] of response.headers.entries()) headers[name.toLowerCase()] = value;
  throw errorFrom(response.status, headers, text, {
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

function originOf(url: string): string {
  try {
    return new URL(url).origin;
  } catch {
    return '';
  }
}

/** Every header of the request, ours and the caller's, is sendable as it is: refused, never rewritten. */
function checkedHeaders(request: OutgoingRequest, url: string): OutgoingRequest {
  for (const name in request.headers) {
    const problem = headerProblem(name, request.headers[name]);
    if (problem) throw new InvalidArgumentError(`${problem}; refused rather than rewritten, and nothing was sent`, url);
  }
  return request;
}
