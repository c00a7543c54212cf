import { defer, throwError, type Observable } from 'rxjs';
import { InvalidArgumentError } from '../errors/client-errors.js';
import { notProtocolAnswer } from '../errors/protocol-error.js';
import { callRequest } from '../http/request-call.js';
import type { RequestSpec } from '../http/request-spec.js';
import { checkRequestOptions, type RequestOptions } from '../http/stream-context.js';
import { streamInternals, type DurableStream, type StreamInternals } from '../http/stream-handle.js';
import { missingProtocolHeaders, type AnsweredOperation } from '../protocol/protocol-answer.js';
import type { RetrySafety } from '../retry/retry-safety.js';
import type { HttpResponse } from '../transport/http-transport.js';

/**
 * The internals of an operation's stream, with the handle and the call's
 * options checked at the call (an `InvalidArgumentError` now, not on subscribe).
 */
export function operationOn(stream: DurableStream, options: RequestOptions | undefined): StreamInternals {
  const internals = streamInternals(stream);
  checkRequestOptions(options, stream.url);
  return internals;
}

/**
 * One one-shot operation on a stream: `build` describes it (a throw is an
 * `InvalidArgumentError`, sent nowhere), `onSuccess` reads the answer. When
 * `answered` names what the answer must be, a 2xx without the protocol's
 * headers (a wrong base URL, an app's fallback page) is a `ProtocolError`,
 * never a success. Cold: sent on subscribe, aborted on unsubscribe.
 */
export function oneShot<T>(
  stream: StreamInternals,
  build: () => RequestSpec,
  options: RequestOptions,
  onSuccess: (response: HttpResponse) => T,
  safety: RetrySafety,
  answered?: AnsweredOperation,
): Observable<T> {
  return defer(() => {
    const { url, http } = stream.context;
    let spec: RequestSpec;
    try {
      spec = build();
    } catch (error) {
      return throwError(() =>
        error instanceof InvalidArgumentError ? error : new InvalidArgumentError(String(error), url),
      );
    }
    return callRequest(
      http,
      { ...spec, userHeaders: options.headers, userParams: options.params },
      async (response) => {
        // Read to the end (these bodies are empty or tiny) so the socket returns to the pool.
        await response.body.dump();
        const missing = answered && missingProtocolHeaders(answered, response.status, response.headers);
        if (missing)
          throw notProtocolAnswer({
            url,
            status: response.status,
            contentType: response.headers.get('content-type'),
            missing,
          });
        return onSuccess(response);
      },
      safety,
      options.retry,
    );
  });
}
