import { asyncScheduler, Observable, from, type ObservableInput, type SchedulerLike, type Subscription } from 'rxjs';
import { DurableStreamError } from '../errors/durable-stream-error.js';
import { NetworkError, TimeoutError, type TimeoutPhase } from '../errors/client-errors.js';
import { stripQuery } from '../protocol/url.js';
import { concatBytes } from '../util/bytes.js';
import { isPromiseLike } from '../util/is-promise-like.js';
import type { HttpBody, HttpRequest, HttpResponse, HttpTransport } from './http-transport.js';
import { watchIdle, type IdleWatch } from './idle-watch.js';
import { releasingTransports } from './released-signals.js';

/** A request before a signal is attached. */
export type OutgoingRequest = Omit<HttpRequest, 'signal' | 'onSent'>;

/** The time bounds of one exchange. */
export interface ExchangeTimeouts {
  /** Longest wait for the response headers, ms, from subscribe (a wait for a connection included). None when absent or 0. */
  readonly timeoutMs?: number | undefined;
  /** Longest silence within the response body, ms: every chunk that arrives restarts it. None when absent or 0. */
  readonly bodyTimeoutMs?: number | undefined;
  /** Where the timers run (a TestScheduler in tests). Default `asyncScheduler`. */
  readonly scheduler?: SchedulerLike | undefined;
}

/**
 * One HTTP exchange as a cold Observable, in the manner of rxjs `fromFetch`
 * with a selector: nothing is sent before subscribe; `consume` reads the
 * response inside the subscription, so unsubscribing at any point (waiting
 * for headers, or mid-body) aborts the request at once.
 *
 * Nothing waits without bound: `timeoutMs` bounds the wait for the response
 * headers, `bodyTimeoutMs` every silence within the body (an error body
 * too). When one runs out the request is aborted and fails with a
 * `TimeoutError` saying where the time went (`phase`): waiting for a
 * connection, for the headers (or either, when the transport cannot tell),
 * or in a stalled body.
 */
export function exchange<T>(
  transport: HttpTransport,
  request: OutgoingRequest,
  consume: (response: HttpResponse) => ObservableInput<T>,
  timeouts: ExchangeTimeouts = {},
): Observable<T> {
  const scheduler = timeouts.scheduler ?? asyncScheduler;
  return new Observable<T>((subscriber) => {
    const reuse = request.longLived && releasingTransports.has(transport);
    const controller = (reuse && spareControllers.pop()) || new AbortController();
    let finished = false;
    // Where the request is: set by the transport's `onSent` when it can tell, then by the response.
    let phase: TimeoutPhase = transport.reportsSent ? 'connection' : 'response';
    let timedOut: { readonly phase: TimeoutPhase; readonly ms: number } | undefined;
    const expire = (ms: number) => () => {
      timedOut = { phase, ms };
      controller.abort();
    };
    let headerTimer: Subscription | undefined = timeouts.timeoutMs
      ? scheduler.schedule(expire(timeouts.timeoutMs), timeouts.timeoutMs)
      : undefined;
    let bodyWatch: IdleWatch | undefined;
    const stopTimers = () => {
      headerTimer?.unsubscribe();
      headerTimer = undefined;
      bodyWatch?.stop();
    };
    const fail = (error: unknown) => {
      stopTimers();
      subscriber.error(toSdkError(error, request, timedOut));
    };
    const succeed = (emit: () => void) => {
      finished = true;
      // A body that timed out while being read was cut short: whatever was made of it is not the answer.
      if (timedOut) return fail(new Error('aborted'));
      stopTimers();
      // Read to its end: the transport let go of the signal, and nothing here aborts it any more.
      if (reuse && spareControllers.length < 32) spareControllers.push(controller);
      emit();
    };

    const onSent = () => {
      if (phase !== 'body') phase = 'headers';
    };
    transport.request({ ...request, signal: controller.signal, onSent }).then(
      (raw) => {
        headerTimer?.unsubscribe();
        if (subscriber.closed) {
          void raw.body.dump();
          return;
        }
        phase = 'body';
        const ms = timeouts.bodyTimeoutMs;
        let response = raw;
        if (ms) {
          bodyWatch = watchIdle(scheduler, ms, expire(ms));
          // A body only being discarded is not the answer: when it stalls, it is abandoned (its connection closed), not failed.
          response = watchedResponse(raw, bodyWatch, () => watchIdle(scheduler, ms, () => controller.abort()));
        }
        let consumed: ObservableInput<T>;
        try {
          consumed = consume(response);
        } catch (error) {
          finished = true;
          void raw.body.dump();
          fail(error);
          return;
        }
        // A promise settles, and an array is at hand, once the response is
        // consumed: mark the exchange finished before emitting, so a subscriber
        // that unsubscribes on the value (firstValueFrom, take(1)) does not
        // abort a completed request (an AbortError, and undici's teardown, for nothing).
        if (Array.isArray(consumed)) {
          succeed(() => {
            for (const value of consumed as readonly T[]) {
              if (subscriber.closed) return;
              subscriber.next(value);
            }
            subscriber.complete();
          });
          return;
        }
        if (isPromiseLike(consumed)) {
          consumed.then(
            (value) =>
              succeed(() => {
                subscriber.next(value);
                subscriber.complete();
              }),
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
          complete: () => succeed(() => subscriber.complete()),
        });
        subscriber.add(inner);
      },
      (error: unknown) => {
        finished = true;
        if (!subscriber.closed) fail(error);
        else stopTimers();
      },
    );

    return () => {
      stopTimers();
      if (!finished) controller.abort();
    };
  });
}

/**
 * Controllers of long-lived requests answered in full, never aborted, to be used again: a
 * long-poll the server holds is promoted to the old generation with all it keeps, and an
 * `AbortController` with its signal is much of that (7 MiB of RSS at 10 000 long-poll readers).
 */
const spareControllers: AbortController[] = [];

/**
 * The response with a body whose every chunk restarts `watch`, and which
 * stops it when read to the end; `dump()` runs under a `discard()` bound instead.
 */
function watchedResponse(response: HttpResponse, watch: IdleWatch, discard: () => IdleWatch): HttpResponse {
  const stream = async function* (): AsyncGenerator<Uint8Array> {
    try {
      for await (const chunk of response.body.stream()) {
        watch.touch();
        yield chunk;
      }
    } finally {
      watch.stop();
    }
  };
  // Read whole without the generator (and the promises it makes per chunk): most answers are one small chunk.
  const bytes = async (): Promise<Uint8Array> => {
    const chunks: Uint8Array[] = [];
    try {
      for await (const chunk of response.body.stream()) {
        watch.touch();
        chunks.push(chunk);
      }
    } finally {
      watch.stop();
    }
    return concatBytes(chunks);
  };
  const body: HttpBody = {
    stream,
    bytes,
    text: async () => utf8.decode(await bytes()),
    // Discarding is bounded too, but a stall there costs the connection, not the answer.
    dump: () => {
      watch.stop();
      const bound = discard();
      return response.body.dump().finally(() => bound.stop());
    },
  };
  return { status: response.status, headers: response.headers, body };
}

/** Stateless between calls (no `stream` option): one for every body. */
const utf8 = /* @__PURE__ */ new TextDecoder();

const NOT_SENT_CODES = new Set([
  'ECONNREFUSED',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'UND_ERR_CONNECT_TIMEOUT',
]);

/** Maps what a transport threw to a typed error; typed errors pass through, unless a timeout caused them. */
export function toSdkError(
  error: unknown,
  request: Pick<HttpRequest, 'url'>,
  timedOut?: { readonly phase: TimeoutPhase; readonly ms: number },
): DurableStreamError {
  const url = stripQuery(request.url);
  // Whatever failed after a timeout aborted the request failed because of it (an error body cut short included).
  if (timedOut !== undefined)
    return new TimeoutError({ url, timeoutMs: timedOut.ms, phase: timedOut.phase, cause: error });
  if (error instanceof DurableStreamError) return error;
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
