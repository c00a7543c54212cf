import { Observable, from, type ObservableInput } from 'rxjs';
import { DurableStreamError } from '../errors/durable-stream-error.js';
import { NetworkError, TimeoutError } from '../errors/client-errors.js';
import { stripQuery } from '../protocol/url.js';
import { isPromiseLike } from '../util/is-promise-like.js';
import type { HttpRequest, HttpResponse, HttpTransport } from './http-transport.js';

/** A request before a signal is attached. */
export type OutgoingRequest = Omit<HttpRequest, 'signal'>;

/**
 * One HTTP exchange as a cold Observable, in the manner of rxjs `fromFetch`
 * with a selector: nothing is sent before subscribe; `consume` reads the
 * response inside the subscription, so unsubscribing at any point (waiting
 * for headers, or mid-body) aborts the request at once.
 *
 * `timeoutMs` bounds the wait for response headers only; bodies (long-poll
 * waits happen before headers, SSE bodies are endless) are bounded by the
 * caller.
 */
export function exchange<T>(
  transport: HttpTransport,
  request: OutgoingRequest,
  consume: (response: HttpResponse) => ObservableInput<T>,
  timeoutMs?: number,
): Observable<T> {
  return new Observable<T>((subscriber) => {
    const controller = new AbortController();
    let finished = false;
    let timedOut = false;
    const timer =
      timeoutMs && timeoutMs > 0
        ? setTimeout(() => {
            timedOut = true;
            controller.abort();
          }, timeoutMs)
        : undefined;
    const fail = (error: unknown) => subscriber.error(toSdkError(error, request, timedOut ? timeoutMs : undefined));

    transport.request({ ...request, signal: controller.signal }).then(
      (response) => {
        clearTimeout(timer);
        if (subscriber.closed) {
          void response.body.dump();
          return;
        }
        let consumed: ObservableInput<T>;
        try {
          consumed = consume(response);
        } catch (error) {
          finished = true;
          void response.body.dump();
          fail(error);
          return;
        }
        // A promise settles, and an array is at hand, once the response is
        // consumed: mark the exchange finished before emitting, so a subscriber
        // that unsubscribes on the value (firstValueFrom, take(1)) does not
        // abort a completed request (an AbortError, and undici's teardown, for nothing).
        if (Array.isArray(consumed)) {
          finished = true;
          for (const value of consumed as readonly T[]) {
            if (subscriber.closed) return;
            subscriber.next(value);
          }
          subscriber.complete();
          return;
        }
        if (isPromiseLike(consumed)) {
          consumed.then(
            (value) => {
              finished = true;
              subscriber.next(value);
              subscriber.complete();
            },
            (error: unknown) => {
              finished = true;
              fail(error);
            },
          );
          return;
        }
        const inner = from(consumed).subscribe({
          next: (value) => subscriber.next(value),
          error: (error: unknown) => {
            finished = true;
            fail(error);
          },
          complete: () => {
            finished = true;
            subscriber.complete();
          },
        });
        subscriber.add(inner);
      },
      (error: unknown) => {
        clearTimeout(timer);
        finished = true;
        if (!subscriber.closed) fail(error);
      },
    );

    return () => {
      clearTimeout(timer);
      if (!finished) controller.abort();
    };
  });
}

const NOT_SENT_CODES = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH', 'UND_ERR_CONNECT_TIMEOUT']);

/** Maps what a transport threw to a typed error; typed errors pass through. */
export function toSdkError(error: unknown, request: Pick<HttpRequest, 'url'>, timeoutMs?: number): DurableStreamError {
  if (error instanceof DurableStreamError) return error;
  const url = stripQuery(request.url);
  if (timeoutMs !== undefined) return new TimeoutError({ url, timeoutMs, cause: error });
  return new NetworkError({ url, cause: error, notSent: NOT_SENT_CODES.has(errorCode(error) ?? '') });
}

function errorCode(error: unknown): string | undefined {
  let current: unknown = error;
  for (let depth = 0; depth < 4 && current; depth++) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === 'string') return code;
    current = (current as { cause?: unknown }).cause;
  }
  return undefined;
}
