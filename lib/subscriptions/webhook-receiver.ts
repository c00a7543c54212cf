import type { IncomingMessage, ServerResponse } from 'node:http';
import {
  asyncScheduler,
  concatMap,
  EMPTY,
  map,
  of,
  shareReplay,
  Subject,
  tap,
  type Observable,
  type SchedulerLike,
  type Subscription as RxSubscription,
} from 'rxjs';
import type { DurableStreamsClient } from '../client/durable-streams-client.js';
import { InvalidArgumentError } from '../errors/client-errors.js';
import { clientExecutor } from '../http/client-executor.js';
import { RequestExecutor } from '../http/request-executor.js';
import { runWake } from './run-wake.js';
import { SubscriptionRequests } from './subscription-requests.js';
import type { WebhookNotification } from './subscription-types.js';
import { wakeView } from './wake-view.js';
import { WebhookSignatureError } from './webhook-signature.js';
import { WebhookVerifier } from './webhook-verifier.js';
import type { WakeHandler, WakeOutcome } from './worker-types.js';

/** Options of {@link webhookReceiver}. */
export interface WebhookReceiverOptions {
  /** Processes each wake, as a pull-wake worker's handler does. */
  readonly handler: WakeHandler;
  /** Verifies deliveries. Default: a `WebhookVerifier` on `{baseUrl}/__ds/jwks.json` over the client's transport. */
  readonly verifier?: WebhookVerifier;
  /** The subscriptions' lease, ms. Default: learned with one GET per subscription (notifications do not carry it). */
  readonly leaseTtlMs?: number;
  /** How often to renew the lease through the callback, ms. Default: a third of the lease. */
  readonly heartbeatIntervalMs?: number;
  /** The largest body `listener` reads, bytes. Default 1 MiB. */
  readonly maxBodyBytes?: number;
}

/** What to answer a delivery. */
export interface WebhookResponse {
  /** The HTTP status to answer with (202 accepted, 401 not genuine, 503 keys unavailable). */
  readonly status: number;
  /** Headers to answer with. */
  readonly headers: Readonly<Record<string, string>>;
  /** The body to answer with (JSON). */
  readonly body: string;
}

const MAX_FINISHED = 1024;
const JSON_HEADERS = { 'content-type': 'application/json' } as const;
const answer = (status: number, body: unknown): WebhookResponse => ({
  status,
  headers: JSON_HEADERS,
  body: JSON.stringify(body),
});

/**
 * Receives webhook deliveries (PROTOCOL.md 7.1): verifies each, answers at
 * once, and runs the handler on the wake in the background, renewing the
 * lease and sending acks and `done` through the wake's callback, exactly as
 * a pull-wake worker does. Runs from creation until `close()`.
 */
export class WebhookReceiver {
  /** One value per wake run here. Hot: subscribe before deliveries arrive to see every outcome. */
  readonly outcomes: Observable<WakeOutcome>;
  private readonly outcomeSubject = new Subject<WakeOutcome>();
  private readonly running = new Map<string, RxSubscription>();
  /** Wakes run here lately, oldest first (bounded): a delivery repeated after its wake ended is not run again. */
  private readonly finished = new Set<string>();
  private readonly leases = new Map<string, Observable<number>>();
  private readonly verifier: WebhookVerifier;
  private readonly executor: RequestExecutor;
  private readonly baseUrl: string;
  private readonly scheduler: SchedulerLike;
  private closed = false;

  constructor(
    private readonly client: DurableStreamsClient,
    private readonly options: WebhookReceiverOptions,
  ) {
    const executor = clientExecutor(client);
    if (executor === undefined)
      throw new InvalidArgumentError('webhookReceiver(client, options) needs a DurableStreamsClient');
    if (executor.options.baseUrl === undefined)
      throw new InvalidArgumentError("webhookReceiver(): the client needs a baseUrl, the server's stream root");
    if (typeof options?.handler !== 'function')
      throw new InvalidArgumentError(
        'webhookReceiver(): options.handler must be a function (wake) => ObservableInput<Ack>',
      );
    this.executor = executor;
    this.baseUrl = executor.options.baseUrl;
    this.scheduler = executor.options.scheduler ?? asyncScheduler;
    this.verifier =
      options.verifier ??
      new WebhookVerifier({
        jwksUrl: `${this.baseUrl.replace(/\/+$/, '')}/__ds/jwks.json`,
        transport: executor.options.transport,
      });
    this.outcomes = this.outcomeSubject.asObservable();
  }

  /**
   * Verifies one delivery and starts its wake. Resolves to the answer: 202
   * (accepted, or already running), 401 (not a valid delivery: the error's
   * `reason` in the body), 503 (the key set could not be fetched, or the
   * receiver is closed: the server retries later). Never rejects.
   */
  async handle(
    rawBody: string | Uint8Array,
    signatureHeader: string | readonly string[] | null | undefined,
  ): Promise<WebhookResponse> {
    if (this.closed) return answer(503, { error: { code: 'RECEIVER_CLOSED' } });
    let notification: WebhookNotification;
    try {
      notification = await this.verifier.verify(rawBody, signatureHeader);
    } catch (error) {
      if (error instanceof WebhookSignatureError)
        return answer(401, { error: { code: error.code, reason: error.reason } });
      return answer(503, { error: { code: (error as { code?: string }).code ?? 'UNAVAILABLE' } });
    }
    if (!this.closed) this.start(notification);
    return answer(202, { done: false });
  }

  /** A `node:http` listener (also an Express or Fastify raw handler when no body parser ran first). */
  readonly listener = (request: IncomingMessage, response: ServerResponse): void => {
    const reply = ({ status, headers, body }: WebhookResponse) => {
      if (!response.headersSent) response.writeHead(status, headers).end(body);
    };
    if (request.method !== 'POST') return reply(answer(405, { error: { code: 'METHOD_NOT_ALLOWED' } }));
    const limit = this.options.maxBodyBytes ?? 1024 * 1024;
    const chunks: Buffer[] = [];
    let size = 0;
    request.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        reply(answer(413, { error: { code: 'PAYLOAD_TOO_LARGE' } }));
        request.destroy();
      } else chunks.push(chunk);
    });
    request.on('error', () => response.destroy());
    request.on('end', () => {
      if (size > limit) return;
      void this.handle(new Uint8Array(Buffer.concat(chunks)), request.headers['webhook-signature']).then(reply);
    });
  };

  /** Stops every wake in progress (their leases run out and the server delivers them again) and refuses new deliveries (503). */
  close(): void {
    this.closed = true;
    for (const subscription of this.running.values()) subscription.unsubscribe();
    this.running.clear();
    this.outcomeSubject.complete();
  }

  private start(notification: WebhookNotification): void {
    const key = `${notification.subscriptionId}\n${notification.wakeId}\n${notification.generation}`;
    // A delivery repeated (a lost answer, a retry) is the same wake: run it once.
    if (this.running.has(key) || this.finished.has(key)) return;
    const requests = this.callbackRequests(notification);
    // The local deadline counts from receipt: the signature's timestamp has one-second steps, and the clocks may differ by more.
    const leaseStartedAt = this.scheduler.now();
    const wake = {
      wakeId: notification.wakeId,
      generation: notification.generation,
      token: notification.callbackToken,
    };
    const info = {
      subscriptionId: notification.subscriptionId,
      wakeId: notification.wakeId,
      generation: notification.generation,
      streams: notification.streams,
    };
    const subscription = this.leaseTtl(notification.subscriptionId)
      .pipe(
        concatMap((leaseTtlMs) =>
          runWake(
            { ...wake, subscriptionId: info.subscriptionId, streams: info.streams, leaseTtlMs, leaseStartedAt },
            {
              ack: (held, acks, done) => requests.callback(notification.callbackUrl, held, acks, done),
              release: () => EMPTY,
            },
            this.options.handler,
            {
              scheduler: this.scheduler,
              url: notification.callbackUrl,
              heartbeatIntervalMs: this.options.heartbeatIntervalMs,
              wakeFor: (signal) => wakeView(this.client, { ...info, leaseTtlMs }, signal),
            },
          ),
        ),
      )
      .subscribe({
        next: (outcome) => this.outcomeSubject.next(outcome),
        // The lease could not be learned: the wake is not run, and the server delivers it again once its lease runs out.
        error: (error: unknown) => this.outcomeSubject.next({ kind: 'failed', wake: info, error }),
      });
    if (!subscription.closed) {
      this.running.set(key, subscription);
      subscription.add(() => this.settle(key));
    } else {
      this.settle(key);
    }
  }

  private settle(key: string): void {
    this.running.delete(key);
    this.finished.add(key);
    if (this.finished.size > MAX_FINISHED) this.finished.delete(this.finished.values().next().value!);
  }

  /**
   * Callbacks go through the client; to a callback URL on another origin
   * than the client's, without the client's headers and params: the
   * callback token is its credential, and the client's go only where the
   * client points.
   */
  private callbackRequests(notification: WebhookNotification): SubscriptionRequests {
    let sameOrigin = false;
    try {
      sameOrigin = new URL(notification.callbackUrl).origin === new URL(this.baseUrl).origin;
    } catch {
      // An unparsable callback URL fails when it is used, with a typed error.
    }
    const executor = sameOrigin
      ? this.executor
      : new RequestExecutor({ ...this.executor.options, headers: undefined, params: undefined });
    return new SubscriptionRequests(executor, this.baseUrl, notification.subscriptionId);
  }

  private leaseTtl(subscriptionId: string): Observable<number> {
    if (this.options.leaseTtlMs !== undefined) return of(this.options.leaseTtlMs);
    let lease = this.leases.get(subscriptionId);
    if (lease === undefined) {
      lease = new SubscriptionRequests(this.executor, this.baseUrl, subscriptionId).get().pipe(
        map((subscription) => subscription.leaseTtlMs),
        tap({ error: () => this.leases.delete(subscriptionId) }),
        shareReplay(1),
      );
      this.leases.set(subscriptionId, lease);
    }
    return lease;
  }
}

/**
 * A webhook receiver: `http.createServer(webhookReceiver(client, { handler }).listener)`.
 * See {@link WebhookReceiver}.
 */
export function webhookReceiver(client: DurableStreamsClient, options: WebhookReceiverOptions): WebhookReceiver {
  return new WebhookReceiver(client, options);
}
