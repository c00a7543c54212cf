import { Dispatcher } from 'undici';

/** Where a request's `onSent` travels in undici's dispatch options (a symbol: never sent, never clashes). */
const ON_SENT = Symbol('durable-streams-rx.onSent');

type WithOnSent = { [ON_SENT]?: () => void };

/** The options of an undici request, carrying `onSent` to {@link reportingSent}'s interceptor. */
export function withOnSent<T extends object>(options: T, onSent: (() => void) | undefined): T {
  return onSent ? { ...options, [ON_SENT]: onSent } : options;
}

/**
 * The dispatcher, calling a request's `onSent` (see {@link withOnSent}) when
 * undici starts it on a connection: its clients call a handler's
 * `onRequestStart` right before they write the request to the socket, never
 * while it waits in a pool's queue. Retries start it again; `onSent` is told once.
 * A dispatcher that is not undici's is returned as it is (see {@link startsRequestsVisibly}).
 */
export function reportingSent<D extends Dispatcher>(dispatcher: D): D {
  if (!startsRequestsVisibly(dispatcher)) return dispatcher;
  const interceptor: Dispatcher.DispatcherComposeInterceptor = (dispatch) => (options, handler) => {
    const onSent = (options as WithOnSent)[ON_SENT];
    return dispatch(options, onSent ? new SentReportingHandler(handler, onSent) : handler);
  };
  return dispatcher.compose(interceptor) as D;
}

/**
 * Whether undici's clients start this dispatcher's requests (undici's own
 * dispatchers, MockAgent included). A dispatcher of another make may never
 * say, and a request it sent would pass for one that waited.
 */
export function startsRequestsVisibly(dispatcher: Dispatcher): boolean {
  return dispatcher instanceof Dispatcher;
}

/** Hands every event on to `handler`, telling `onSent` at the first start. */
class SentReportingHandler implements Dispatcher.DispatchHandler {
  constructor(
    private readonly handler: Dispatcher.DispatchHandler,
    private onSent: (() => void) | undefined,
  ) {}

  onRequestStart(controller: Dispatcher.DispatchController, context: unknown): void {
    this.handler.onRequestStart?.(controller, context);
    // A request abandoned while it waited is started only to be aborted at once, unsent.
    if (controller.aborted) return;
    const onSent = this.onSent;
    this.onSent = undefined;
    onSent?.();
  }
  onRequestUpgrade(...args: Parameters<NonNullable<Dispatcher.DispatchHandler['onRequestUpgrade']>>): void {
    this.handler.onRequestUpgrade?.(...args);
  }
  onResponseStart(...args: Parameters<NonNullable<Dispatcher.DispatchHandler['onResponseStart']>>): void {
    this.handler.onResponseStart?.(...args);
  }
  onResponseData(...args: Parameters<NonNullable<Dispatcher.DispatchHandler['onResponseData']>>): void {
    this.handler.onResponseData?.(...args);
  }
  onResponseEnd(...args: Parameters<NonNullable<Dispatcher.DispatchHandler['onResponseEnd']>>): void {
    this.handler.onResponseEnd?.(...args);
  }
  onResponseError(...args: Parameters<NonNullable<Dispatcher.DispatchHandler['onResponseError']>>): void {
    this.handler.onResponseError?.(...args);
  }
}
