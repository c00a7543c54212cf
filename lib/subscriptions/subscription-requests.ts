import type { Observable } from 'rxjs';
import { callRequest } from '../http/request-call.js';
import type { RequestExecutor } from '../http/request-executor.js';
import type { RequestOptions } from '../http/stream-context.js';
import type { RetrySafety } from '../retry/retry-safety.js';
import type { HttpResponse } from '../transport/http-transport.js';
import { subscriptionErrorFromResponse, type SubscriptionRequestContext } from './subscription-error-from-response.js';
import type {
  Ack,
  AckResult,
  EnsureResult,
  Subscription,
  SubscriptionConfig,
  WakeClaim,
  WakeRef,
} from './subscription-types.js';
import {
  ackResultFromWire,
  ackToWire,
  claimFromWire,
  configToWire,
  parseJsonBody,
  releaseToWire,
  subscriptionFromWire,
} from './wire.js';

/** One request of the subscription API, before the executor adds the client's headers and params. */
interface Call<T> {
  readonly method: 'GET' | 'PUT' | 'POST' | 'DELETE';
  /** Under the subscription's URL (`'/claim'`), or an absolute URL (a webhook's callback). */
  readonly path?: string;
  readonly url?: string;
  readonly body?: unknown;
  /** A wake's bearer token: it replaces any `authorization` of the client for this request. */
  readonly token?: string;
  readonly context?: Omit<SubscriptionRequestContext, 'subscriptionId'>;
  readonly safety: RetrySafety;
  readonly read: (response: HttpResponse, url: string) => Promise<T>;
}

/**
 * The requests of one subscription (PROTOCOL.md 6, 7), through the client's
 * executor: the client's headers, params, retry, timeouts and transport;
 * errors typed by the JSON body's `error.code`; unsubscribing aborts.
 */
export class SubscriptionRequests {
  /** `{baseUrl}/__ds/subscriptions/{id}`. */
  readonly url: string;

  constructor(
    private readonly executor: RequestExecutor,
    readonly baseUrl: string,
    readonly id: string,
  ) {
    this.url = `${baseUrl.replace(/\/+$/, '')}/__ds/subscriptions/${encodeURIComponent(id)}`;
  }

  /** PUT: 201 created, 200 re-confirmed. */
  ensure(config: SubscriptionConfig, options?: RequestOptions): Observable<EnsureResult> {
    return this.send(
      {
        method: 'PUT',
        body: configToWire(config),
        context: { webhookUrl: config.webhook?.url },
        safety: 'idempotent',
        read: async (response, url) => ({
          created: response.status === 201,
          subscription: subscriptionFromWire(parseJsonBody(await response.body.text(), 'subscription', url), url),
        }),
      },
      options,
    );
  }

  get(options?: RequestOptions): Observable<Subscription> {
    return this.send(
      {
        method: 'GET',
        safety: 'idempotent',
        read: async (response, url) =>
          subscriptionFromWire(parseJsonBody(await response.body.text(), 'subscription', url), url),
      },
      options,
    );
  }

  delete(options?: RequestOptions): Observable<void> {
    return this.send({ method: 'DELETE', safety: 'idempotent', read: drain }, options);
  }

  addStreams(paths: readonly string[], options?: RequestOptions): Observable<void> {
    return this.send(
      { method: 'POST', path: '/streams', body: { streams: [...paths] }, safety: 'idempotent', read: drain },
      options,
    );
  }

  removeStream(path: string, options?: RequestOptions): Observable<void> {
    return this.send(
      { method: 'DELETE', path: `/streams/${encodeURIComponent(path)}`, safety: 'idempotent', read: drain },
      options,
    );
  }

  /** Not repeated after a failure that may have reached the server: a repeated claim would find this worker's own lease. */
  claim(worker: string, options?: RequestOptions): Observable<WakeClaim> {
    return this.send(
      {
        method: 'POST',
        path: '/claim',
        body: { worker },
        safety: 'unsafe',
        read: async (response, url) => claimFromWire(parseJsonBody(await response.body.text(), 'claim', url), url),
      },
      options,
    );
  }

  ack(wake: WakeRef, acks: readonly Ack[], done: boolean, options?: RequestOptions): Observable<AckResult> {
    return this.wakeAck(`${this.url}/ack`, wake, acks, done, options);
  }

  release(wake: WakeRef, options?: RequestOptions): Observable<void> {
    return this.send(
      {
        method: 'POST',
        path: '/release',
        body: releaseToWire(wake),
        token: wake.token,
        context: { wake },
        safety: 'idempotent',
        read: drain,
      },
      options,
    );
  }

  /** A webhook wake's ack, heartbeat or `done`, to its callback URL. */
  callback(
    callbackUrl: string,
    wake: WakeRef,
    acks: readonly Ack[],
    done: boolean,
    options?: RequestOptions,
  ): Observable<AckResult> {
    return this.wakeAck(callbackUrl, wake, acks, done, options);
  }

  private wakeAck(
    url: string,
    wake: WakeRef,
    acks: readonly Ack[],
    done: boolean,
    options?: RequestOptions,
  ): Observable<AckResult> {
    return this.send(
      {
        method: 'POST',
        url,
        body: ackToWire(wake, acks, done),
        token: wake.token,
        context: { wake },
        safety: 'idempotent',
        read: async (response, requestUrl) =>
          ackResultFromWire(parseJsonBody(await response.body.text(), 'ack', requestUrl), requestUrl),
      },
      options,
    );
  }

  private send<T>(call: Call<T>, options: RequestOptions = {}): Observable<T> {
    const url = call.url ?? this.url + (call.path ?? '');
    const headers: Record<string, string> = {};
    if (call.body !== undefined) headers['content-type'] = 'application/json';
    if (call.token !== undefined) headers['authorization'] = `Bearer ${call.token}`;
    const context: SubscriptionRequestContext = { subscriptionId: this.id, ...call.context };
    return callRequest(
      this.executor,
      {
        method: call.method,
        url,
        headers,
        ...(call.body === undefined ? {} : { body: JSON.stringify(call.body) }),
        userHeaders: options.headers,
        userParams: options.params,
        errorFrom: (status, responseHeaders, bodyText, request) =>
          subscriptionErrorFromResponse(status, responseHeaders, bodyText, request, context),
      },
      (response) => call.read(response, url),
      call.safety,
      options.retry,
    );
  }
}

/** Reads an empty (204) body to its end, so the connection returns to the pool. */
const drain = (response: HttpResponse): Promise<void> => response.body.dump();
