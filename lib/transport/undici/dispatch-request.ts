import { errors as undiciErrors, type Dispatcher } from 'undici';
import type { HttpResponse } from '../http-transport.js';
import { ChunkBody, type BodySource } from './chunk-body.js';
import { RawHeaders, type RawField } from './raw-headers.js';

/**
 * One request through `dispatcher.dispatch()` with a handler of our own,
 * instead of `undici.request()`: no request handler with its own abort
 * listener, no Node stream per response body, no headers object (see
 * {@link RawHeaders} and {@link ChunkBody}). Resolves once the headers
 * arrive; rejects with undici's error, or with the signal's reason as soon
 * as it aborts, even while the request waits in a pool's queue for a
 * socket (undici itself drops it when its turn comes, unsent). `onSent` is
 * told once, when a connection starts the request.
 */
export function dispatchRequest(
  dispatcher: Dispatcher,
  options: Dispatcher.DispatchOptions,
  signal: AbortSignal,
  onSent: (() => void) | undefined,
  nextTurn?: NextTurn,
): Promise<HttpResponse> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) {
      reject(abortReason(signal));
      return;
    }
    const handler = new ResponseHandler(signal, onSent, resolve, reject, dispatcher, options);
    signal.addEventListener('abort', handler);
    if (nextTurn) nextTurn.add(handler);
    else handler.start();
  });
}

/**
 * Requests started on the next turn of the event loop, all of them from one
 * `setImmediate`: a promise, a timer and two closures fewer per request
 * than waiting for the turn one request at a time. Aborted meanwhile, a
 * request has rejected already and is not started.
 */
export class NextTurn {
  private waiting: ResponseHandler[] = [];

  add(handler: ResponseHandler): void {
    if (this.waiting.length === 0) setImmediate(this.startAll);
    this.waiting.push(handler);
  }

  private readonly startAll = (): void => {
    const waiting = this.waiting;
    this.waiting = [];
    for (const handler of waiting) handler.start();
  };
}

const abortReason = (signal: AbortSignal): unknown => signal.reason ?? new undiciErrors.RequestAbortedError();

/**
 * The request's events, in the handler shape undici's clients call directly
 * (`onConnect`, `onHeaders`, `onData`, `onComplete`, `onError`). Its newer
 * shape (`onRequestStart`… with a controller) goes through an adapter that
 * parses every response's headers into an object, the cost this avoids.
 * The handler is also the signal's abort listener (`handleEvent`): no
 * closure for it.
 */
class ResponseHandler implements BodySource, EventListenerObject {
  /** Where to send the request, until it is. */
  private dispatcher: Dispatcher | undefined;
  private options: Dispatcher.DispatchOptions | undefined;
  private resolve: ((response: HttpResponse) => void) | undefined;
  private reject: ((error: unknown) => void) | undefined;
  /** undici's abort of the started request. */
  private abort: ((error?: Error) => void) | undefined;
  private resumeReading: (() => void) | undefined;
  private body: ChunkBody | undefined;
  /** Why the request was given up (the signal's reason, or the reader's), once it is. */
  private abandoned: { readonly reason: unknown } | undefined;

  constructor(
    private readonly signal: AbortSignal,
    private onSent: (() => void) | undefined,
    resolve: (response: HttpResponse) => void,
    reject: (error: unknown) => void,
    dispatcher: Dispatcher,
    options: Dispatcher.DispatchOptions,
  ) {
    this.resolve = resolve;
    this.reject = reject;
    this.dispatcher = dispatcher;
    this.options = options;
  }

  /** Hands the request to its dispatcher, unless it was given up while it waited to. */
  start(): void {
    const { dispatcher, options } = this;
    this.dispatcher = this.options = undefined;
    if (this.abandoned || !dispatcher || !options) return;
    try {
      dispatcher.dispatch(options, this);
    } catch (error) {
      this.onError(error);
    }
  }

  /** The signal aborted. */
  handleEvent(): void {
    this.giveUp(abortReason(this.signal));
  }

  onConnect(abort: (error?: Error) => void): void {
    // Abandoned while it waited for a socket: started only to be dropped, unsent.
    if (this.abandoned) return abort(this.abandoned.reason as Error);
    this.abort = abort;
    const onSent = this.onSent;
    this.onSent = undefined;
    onSent?.();
  }

  onHeaders(statusCode: number, rawHeaders: readonly RawField[], resume: () => void): boolean {
    if (statusCode < 200) return true; // informational (1xx): the answer follows
    const resolve = this.resolve;
    if (!resolve) {
      // Given up already (a dispatcher that answers after an abort): discarded, its connection closed.
      this.abort?.(this.abandoned?.reason as Error);
      return false;
    }
    this.resolve = this.reject = undefined;
    this.resumeReading = resume;
    const headers = new RawHeaders(rawHeaders);
    this.body = new ChunkBody(this, headers);
    resolve({ status: statusCode, headers, body: this.body });
    return true;
  }

  onData(chunk: Buffer): boolean {
    return this.body ? this.body.push(chunk) : false;
  }

  onComplete(): void {
    this.release();
    this.body?.end();
  }

  onError(error: unknown): void {
    this.release();
    const reject = this.reject;
    this.resolve = this.reject = undefined;
    if (reject) reject(error);
    else this.body?.fail(error);
  }

  resume(): void {
    this.resumeReading?.();
  }

  abandon(reason: Error): void {
    this.giveUp(reason);
  }

  private giveUp(reason: unknown): void {
    if (this.abandoned) return;
    this.abandoned = { reason };
    this.release();
    const reject = this.reject;
    this.resolve = this.reject = undefined;
    reject?.(reason);
    this.body?.fail(reason);
    // Started: undici aborts it and closes its connection (a response cut short cannot be reused). Queued: onConnect drops it.
    this.abort?.(reason as Error);
  }

  /** Nothing more to hear from the signal. */
  private release(): void {
    this.signal.removeEventListener('abort', this);
    this.resumeReading = undefined;
  }
}
