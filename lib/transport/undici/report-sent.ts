import { Dispatcher } from 'undici';

/**
 * `dispatcher`, for one request of undici's `request()`, calling `onSent`
 * when undici starts it on a connection: its clients call the request
 * handler's `onConnect` right before they write the request to the socket,
 * never while it waits in a pool's queue. Retries start it again; `onSent`
 * is told once. Without `onSent`, or for a dispatcher that is not undici's
 * (see {@link startsRequestsVisibly}), the dispatcher as it is.
 *
 * Only `dispatch` is there: `request()` uses nothing else. The handler is
 * wrapped in undici's own handler shape, one small object per request: a
 * dispatcher composed with an interceptor (`compose()`) converted every
 * response's headers and events twice, and its proxy stood in front of
 * every call.
 */
export function reportingSent(dispatcher: Dispatcher, onSent: (() => void) | undefined): Dispatcher {
  if (!onSent || !startsRequestsVisibly(dispatcher)) return dispatcher;
  const dispatch: Dispatcher['dispatch'] = (options, handler) =>
    dispatcher.dispatch(options, new SentReportingHandler(handler, onSent));
  return { dispatch } as Dispatcher;
}

/** undici's `request()` through `dispatcher` (which may be {@link reportingSent}'s). */
export function requestThrough(
  dispatcher: Dispatcher,
  options: Dispatcher.RequestOptions,
): Promise<Dispatcher.ResponseData<unknown>> {
  return Dispatcher.prototype.request.call(dispatcher, options);
}

/**
 * Whether undici's clients start this dispatcher's requests (undici's own
 * dispatchers, MockAgent included). A dispatcher of another make may never
 * say, and a request it sent would pass for one that waited.
 */
export function startsRequestsVisibly(dispatcher: Dispatcher): boolean {
  return dispatcher instanceof Dispatcher;
}

/** The events undici's request handler takes (undici's older handler shape, which its clients call directly). */
type RequestEvents = Required<Pick<Dispatcher.DispatchHandler, 'onHeaders' | 'onData' | 'onComplete' | 'onError'>> &
  Pick<Dispatcher.DispatchHandler, 'onUpgrade' | 'onResponseStarted'> & {
    onConnect(abort: (error?: Error) => void, context?: unknown): void;
  };
type Args<K extends keyof RequestEvents> = Parameters<NonNullable<RequestEvents[K]>>;

/** Hands every event on to undici's request handler, telling `onSent` at the first start. */
class SentReportingHandler implements RequestEvents {
  private readonly handler: RequestEvents;

  constructor(
    handler: Dispatcher.DispatchHandler,
    private onSent: (() => void) | undefined,
  ) {
    // request()'s own handler: every event of the older shape, which clients call as they are.
    this.handler = handler as RequestEvents;
  }

  onConnect(abort: (error?: Error) => void, context?: unknown): void {
    let aborted = false;
    this.handler.onConnect((error) => {
      aborted = true;
      abort(error);
    }, context);
    // A request abandoned while it waited is started only to be aborted at once, unsent.
    if (aborted) return;
    const onSent = this.onSent;
    this.onSent = undefined;
    onSent?.();
  }
  onHeaders(...args: Args<'onHeaders'>): boolean {
    return this.handler.onHeaders(...args);
  }
  onData(...args: Args<'onData'>): boolean {
    return this.handler.onData(...args);
  }
  onComplete(...args: Args<'onComplete'>): void {
    this.handler.onComplete(...args);
  }
  onError(...args: Args<'onError'>): void {
    this.handler.onError(...args);
  }
  onUpgrade(...args: Args<'onUpgrade'>): void {
    this.handler.onUpgrade?.(...args);
  }
  onResponseStarted(): void {
    this.handler.onResponseStarted?.();
  }
}
