import {
  asyncScheduler,
  catchError,
  concatMap,
  defer,
  filter,
  map,
  mergeMap,
  of,
  throwError,
  type Observable,
} from 'rxjs';
import { clientRuntimeOf, type DurableStreamsClient } from '../client/durable-streams-client.js';
import { InvalidArgumentError } from '../errors/client-errors.js';
import { StreamExistsError } from '../errors/http-errors.js';
import type { ResolvedClientOptions } from '../http/client-options.js';
import type { RequestOptions } from '../http/stream-context.js';
import { isStreamHandle, type DurableStream } from '../http/stream-handle.js';
import { createStream } from '../operations/create.js';
import { Offset } from '../protocol/offset.js';
import { readJson } from '../read/read-stream.js';
import { pullWakeWorker } from './pull-wake-worker.js';
import { validateSubscriptionConfig } from './subscription-config.js';
import { checkName } from './subscription-names.js';
import { SubscriptionRequests } from './subscription-requests.js';
import type {
  Ack,
  AckResult,
  EnsureResult,
  Subscription,
  SubscriptionConfig,
  WakeClaim,
  WakeEvent,
  WakeRef,
} from './subscription-types.js';
import { wakeView } from './wake-view.js';
import { wakeEventFromWire } from './wire.js';
import type { ProcessOptions, WakeHandler, WakeOutcome } from './worker-types.js';

/** Options of `ensure()`. */
export interface EnsureOptions extends RequestOptions {
  /**
   * Pull-wake only: create the wake stream (a JSON stream) when it does not
   * exist, since the server writes wake events only to an existing stream.
   * Default true.
   */
  readonly createWakeStream?: boolean;
}

/** What `ack()` sends. */
export interface AckOptions extends RequestOptions {
  /** Processed positions to record, one per stream at most. */
  readonly acks?: readonly Ack[];
  /** Completes the wake: applies the acks and gives up the lease. Without it, the ack is a heartbeat. */
  readonly done?: boolean;
}

/**
 * A handle on one subscription (PROTOCOL.md 6, 7). Making it does no I/O;
 * every method is a cold Observable sent through the client (its headers,
 * params, retry, timeouts and transport), whose `baseUrl` is the stream root.
 */
export class SubscriptionHandle {
  private readonly requests: SubscriptionRequests;
  private readonly clientOptions: ResolvedClientOptions;

  constructor(
    private readonly client: DurableStreamsClient,
    /** The subscription's id. */
    readonly id: string,
  ) {
    const runtime = clientRuntimeOf(client);
    if (runtime === undefined) throw new InvalidArgumentError('subscription(client, id) needs a DurableStreamsClient');
    checkName('subscription id', id, 'subscription(client, id)');
    const baseUrl = runtime.options.baseUrl;
    if (baseUrl === undefined)
      throw new InvalidArgumentError(
        `subscription '${id}': the client needs a baseUrl, the server's stream root (e.g. http://host:4437/v1/stream)`,
      );
    this.requests = new SubscriptionRequests(runtime.http, baseUrl, id);
    this.clientOptions = runtime.options;
  }

  /** The subscription's control URL, `{baseUrl}/__ds/subscriptions/{id}`. */
  get url(): string {
    return this.requests.url;
  }

  /**
   * Creates the subscription, or re-confirms it when one with this id and
   * exactly this configuration exists (`created: false`). Another
   * configuration under this id fails with `SubscriptionConflictError`.
   */
  ensure(config: SubscriptionConfig, options: EnsureOptions = {}): Observable<EnsureResult> {
    validateSubscriptionConfig(config, this.id);
    return defer(() => {
      const put = this.requests.ensure(config, options);
      if (config.type !== 'pull-wake' || config.wakeStream === undefined || options.createWakeStream === false)
        return put;
      const wakeStream = this.client.stream(config.wakeStream, { contentType: 'application/json' });
      const create = createStream(wakeStream, {
        contentType: 'application/json',
        headers: options.headers,
        params: options.params,
        retry: options.retry,
      });
      // An existing wake stream of another configuration still takes wake events; only its content type matters, and the server checks appends.
      return create.pipe(
        catchError((error: unknown) => (error instanceof StreamExistsError ? of(undefined) : throwError(() => error))),
        concatMap(() => put),
      );
    });
  }

  /** The subscription and its streams' cursors. `SubscriptionNotFoundError` if there is none. */
  get(options?: RequestOptions): Observable<Subscription> {
    return this.requests.get(options);
  }

  /** Deletes the subscription; a wake in progress is lost (its acks are refused). Deleting an absent one succeeds. */
  delete(options?: RequestOptions): Observable<void> {
    return this.requests.delete(options);
  }

  /**
   * Links streams explicitly, at their current tail (their history is not
   * pending). Idempotent. Each stream is a handle under the client's
   * `baseUrl` or a path relative to it.
   */
  addStreams(streams: readonly (DurableStream | string)[], options?: RequestOptions): Observable<void> {
    const where = `addStreams() on subscription '${this.id}'`;
    if (!Array.isArray(streams) || streams.length === 0)
      throw new InvalidArgumentError(`${where} needs a non-empty array of streams (handles or paths)`, this.url);
    const paths = streams.map((stream) => this.pathOf(stream, where));
    return this.requests.addStreams(paths, options);
  }

  /** Removes an explicit link (a handle or a path, as for `addStreams()`); a stream the pattern matches stays linked. Idempotent. */
  removeStream(stream: DurableStream | string, options?: RequestOptions): Observable<void> {
    const path = this.pathOf(stream, `removeStream() on subscription '${this.id}'`);
    return this.requests.removeStream(path, options);
  }

  /** The path, relative to the stream root, of a stream named by a handle or a path (anything else: a clear error). */
  private pathOf(stream: unknown, where: string): string {
    if (typeof stream === 'object' && stream !== null && !isStreamHandle(stream))
      throw new InvalidArgumentError(
        `${where}: a stream is a handle (client.stream(path)) or a path; nothing was sent`,
        this.url,
      );
    if (!isStreamHandle(stream)) return checkName('stream path', stream, where, this.url);
    const root = `${this.requests.baseUrl.replace(/\/+$/, '')}/`;
    if (!stream.url.startsWith(root))
      throw new InvalidArgumentError(
        `${where}: the stream ${stream.url} is not under the client's baseUrl ${root}, the subscription's stream root; nothing was sent`,
        this.url,
      );
    return checkName('stream path', stream.url.slice(root.length), where, this.url);
  }

  /**
   * Claims the pending work as `worker` (one request). Fails with
   * `AlreadyClaimedError` (another worker holds it) or `NoPendingWorkError`.
   * The claim's lease must be renewed with `ack()` and ended with
   * `ack(wake, { done: true })` or `release()`: `process()` does all that.
   */
  claim(worker: string, options?: RequestOptions): Observable<WakeClaim> {
    checkName('worker name', worker, `claim() on subscription '${this.id}'`, this.url);
    return this.requests.claim(worker, options);
  }

  /** Acks (a heartbeat without acks and `done`), one request. A lost wake fails with `WakeFencedError` or `WakeTokenError`. */
  ack(wake: WakeRef, options: AckOptions = {}): Observable<AckResult> {
    this.checkWake('ack', wake);
    return this.requests.ack(wake, options.acks ?? [], options.done === true, options);
  }

  /** Gives the wake back without completing it; pending work is woken again. One request. */
  release(wake: WakeRef, options?: RequestOptions): Observable<void> {
    this.checkWake('release', wake);
    return this.requests.release(wake, options);
  }

  /** A wake of `ack()` or `release()`: a claim or a webhook's wake (its id, generation and token). */
  private checkWake(method: string, wake: WakeRef): void {
    const { wakeId, generation, token } = (wake ?? {}) as Partial<WakeRef>;
    if (typeof wakeId !== 'string' || typeof generation !== 'number' || typeof token !== 'string') {
      throw new InvalidArgumentError(
        `${method}() on subscription '${this.id}': wake must be a claim (or a webhook's wake), with wakeId, generation and token`,
        this.url,
      );
    }
  }

  /**
   * Runs a pull-wake worker until unsubscribed: claims on start, on every
   * wake event and every `claimIntervalMs`; runs `handler` on each wake it
   * gets while heartbeats keep the lease; completes the wake with its acks.
   * Emits one {@link WakeOutcome} per wake. Delivery is at-least-once: a
   * lost lease hands the same messages to another worker, so make the
   * handler idempotent. Unsubscribing releases the wake it holds.
   */
  process(options: ProcessOptions, handler: WakeHandler): Observable<WakeOutcome> {
    const { client, requests } = this;
    const { clientOptions } = this;
    return pullWakeWorker(
      {
        id: this.id,
        url: requests.url,
        scheduler: clientOptions.scheduler ?? asyncScheduler,
        retry: clientOptions.retry,
        claim: (worker) => requests.claim(worker),
        control: {
          ack: (wake, acks, done) => requests.ack(wake, acks, done),
          release: (wake) => requests.release(wake),
        },
        wakeStream: () =>
          requests.get().pipe(
            map((subscription) => {
              if (subscription.wakeStream === undefined) {
                throw new InvalidArgumentError(
                  `process() on subscription '${this.id}': it has no wake stream (a ${subscription.type} subscription?)`,
                  requests.url,
                );
              }
              return subscription.wakeStream;
            }),
          ),
        wakeEvents: (path) => wakeEvents(client, path, options),
        wakeFor: (claim, signal) => wakeView(client, { ...claim, subscriptionId: this.id }, signal),
      },
      options,
      handler,
    );
  }
}

/** A subscription handle: `subscription(client, 'sub-1').process({ worker: 'w1' }, handler)`. No I/O. */
export function subscription(client: DurableStreamsClient, id: string): SubscriptionHandle {
  return new SubscriptionHandle(client, id);
}

function wakeEvents(client: DurableStreamsClient, path: string, options: ProcessOptions): Observable<WakeEvent> {
  return readJson(client.stream(path, { contentType: 'application/json' }), {
    from: Offset.now,
    ...(options.live === undefined ? {} : { live: options.live }),
  }).pipe(
    mergeMap((batch) => batch.items),
    map(wakeEventFromWire),
    filter((event): event is WakeEvent => event !== undefined),
  );
}
