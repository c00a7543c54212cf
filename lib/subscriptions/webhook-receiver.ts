import type { IncomingMessage, ServerResponse } from 'node:http';
import {
  asyncScheduler,
  catchError,
  concat,
  concatMap,
  EMPTY,
  finalize,
  map,
  of,
  shareReplay,
  Subject,
  tap,
  type Observable,
  type SchedulerLike,
  type Subscription as RxSubscription,
} from 'rxjs';
import { clientRuntimeOf, type DurableStreamsClient } from '../client/durable-streams-client.js';
import { InvalidArgumentError } from '../errors/client-errors.js';
import type { ClientRuntime } from '../http/client-runtime.js';
import { RequestExecutor } from '../http/request-executor.js';
import { runWake } from './run-wake.js';
import { SubscriptionRequests } from './subscription-requests.js';
import type { WebhookNotification } from './subscription-types.js';
import { ADMISSION_RETRY, admitWake } from './wake-admission.js';
import { WakeClaims } from './wake-claims.js';
import { wakeView } from './wake-view.js';
import { webhookListener } from './webhook-listener.js';
import { checkReceiverOptions, type WebhookReceiverOptions } from './webhook-receiver-options.js';
import { ACCEPTED, answer, refused, unavailable, type WebhookResponse } from './webhook-response.js';
import { WebhookSignatureError } from './webhook-signature.js';
import { WebhookVerifier } from './webhook-verifier.js';
import type { WakeInfo, WakeOutcome } from './worker-types.js';

export type { WebhookReceiverOptions } from './webhook-receiver-options.js';
export type { WebhookRefusal, WebhookResponse } from './webhook-response.js';

const MAX_FINISHED = 1024;
const CLOSED = unavailable('RECEIVER_CLOSED');

/** What a delivery's pipeline emits: first the answer to the delivery, then the wake's outcome, if it has one. */
type Step =
  | { readonly kind: 'answer'; readonly response: WebhookResponse; readonly remember: boolean }
  | { readonly kind: 'outcome'; readonly outcome: WakeOutcome };

/**
 * Receives webhook deliveries (PROTOCOL.md 7.1): verifies each, confirms
 * with the server that its wake is current before anything runs, answers,
 * and runs the handler on the wake in the background, renewing the lease
 * and sending acks and `done` through the wake's callback, exactly as a
 * pull-wake worker does. Runs from creation until `close()`.
 *
 * The confirmation is a heartbeat on the wake's callback, which the server
 * fences by generation, wake id and token: a genuine delivery replayed
 * later (to a restarted receiver, another instance, within the signature's
 * replay window) finds its wake ended or superseded and is refused before
 * the handler runs. With `claimStream`, instances also claim each wake, so
 * one delivery given to several at once runs on one of them.
 */
export class WebhookReceiver {
  /** One value per wake run here (or that could not be confirmed). Hot: subscribe before deliveries arrive to see every outcome. */
  readonly outcomes: Observable<WakeOutcome>;
  /**
   * A `node:http` listener (also an Express or Fastify raw handler when no
   * body parser ran first): POST only, the body bounded by `maxBodyBytes`
   * (413) and `bodyTimeoutMs` (408).
   */
  readonly listener: (request: IncomingMessage, response: ServerResponse) => void;
  private readonly outcomeSubject = new Subject<WakeOutcome>();
  private readonly running = new Map<string, RxSubscription>();
  /** Wakes run or refused here lately, oldest first (bounded): a copy of one is answered from memory. */
  private readonly finished = new Set<string>();
  private readonly leases = new Map<string, Observable<number>>();
  private readonly verifier: Pick<WebhookVerifier, 'verify'>;
  private readonly runtime: ClientRuntime;
  private readonly executor: RequestExecutor;
  private readonly baseUrl: string;
  private readonly scheduler: SchedulerLike;
  private readonly claims: WakeClaims | undefined;
  private closed = false;

  constructor(
    private readonly client: DurableStreamsClient,
    private readonly options: WebhookReceiverOptions,
  ) {
    const runtime = clientRuntimeOf(client);
    if (runtime === undefined)
      throw new InvalidArgumentError('webhookReceiver(client, options) needs a DurableStreamsClient');
    if (runtime.options.baseUrl === undefined)
      throw new InvalidArgumentError("webhookReceiver(): the client needs a baseUrl, the server's stream root");
    checkReceiverOptions(options);
    this.runtime = runtime;
    this.executor = runtime.http;
    this.baseUrl = runtime.options.baseUrl;
    this.scheduler = runtime.options.scheduler ?? asyncScheduler;
    this.verifier =
      options.verifier ??
      new WebhookVerifier({
        jwksUrl: `${this.baseUrl.replace(/\/+$/, '')}/__ds/jwks.json`,
        transport: runtime.options.transport,
      });
    this.claims =
      options.claimStream === undefined
        ? undefined
        : new WakeClaims(
            runtime.http,
            this.baseUrl,
            options.claimStream,
            globalThis.crypto.randomUUID(),
            ADMISSION_RETRY,
          );
    this.outcomes = this.outcomeSubject.asObservable();
    this.listener = webhookListener((body, header) => this.handle(body, header), {
      maxBodyBytes: options.maxBodyBytes ?? 1024 * 1024,
      bodyTimeoutMs: options.bodyTimeoutMs ?? 10_000,
    });
  }

  /**
   * Verifies one delivery, confirms its wake and starts it. Resolves to the
   * answer once that is decided: 202 (running here), 200 with `refused`
   * (genuine, not run here: a copy of a wake this receiver has, one the
   * server fenced, or one another instance claimed), 401 (not genuine: the
   * error's `reason` in the body), 503 (the key set or the server could not
   * be reached, or the receiver is closed: the server delivers again later).
   * Never rejects.
   */
  async handle(
    rawBody: string | Uint8Array,
    signatureHeader: string | readonly string[] | null | undefined,
  ): Promise<WebhookResponse> {
    if (this.closed) return CLOSED;
    let notification: WebhookNotification;
    try {
      notification = await this.verifier.verify(rawBody, signatureHeader);
    } catch (error) {
      if (error instanceof WebhookSignatureError)
        return answer(401, { error: { code: error.code, reason: error.reason } });
      return unavailable((error as { code?: string }).code ?? 'UNAVAILABLE');
    }
    // Closed while the key set was fetched: nothing starts.
    return this.closed ? CLOSED : this.start(notification);
  }

  /** Stops every wake in progress (their leases run out and the server delivers them again) and refuses new deliveries (503). */
  close(): void {
    this.closed = true;
    for (const subscription of this.running.values()) subscription.unsubscribe();
    this.running.clear();
    this.outcomeSubject.complete();
  }

  private start(notification: WebhookNotification): Promise<WebhookResponse> {
    const key = `${notification.subscriptionId}\n${notification.wakeId}\n${notification.generation}`;
    // A copy of a delivery this receiver has (a lost answer, a retry, a replay) is answered from memory: no request for it.
    if (this.running.has(key) || this.finished.has(key)) return Promise.resolve(refused('duplicate'));
    return new Promise((resolve) => {
      let remember = true;
      const subscription = this.wake(notification)
        .pipe(finalize(() => resolve(CLOSED)))
        .subscribe((step) => {
          if (step.kind === 'outcome') return this.outcomeSubject.next(step.outcome);
          remember = step.remember;
          resolve(step.response);
        });
      const settle = () => {
        this.running.delete(key);
        if (!remember) return;
        this.finished.add(key);
        const oldest = this.finished.values().next();
        if (this.finished.size > MAX_FINISHED && !oldest.done) this.finished.delete(oldest.value);
      };
      if (subscription.closed) return settle();
      this.running.set(key, subscription);
      subscription.add(settle);
    });
  }

  /** The answer to one delivery, then, if it runs here, its wake's outcome. */
  private wake(notification: WebhookNotification): Observable<Step> {
    const info: WakeInfo = {
      subscriptionId: notification.subscriptionId,
      wakeId: notification.wakeId,
      generation: notification.generation,
      streams: notification.streams,
    };
    const wake = {
      wakeId: notification.wakeId,
      generation: notification.generation,
      token: notification.callbackToken,
    };
    const requests = this.callbackRequests(notification);
    const outcome = (value: WakeOutcome): Step => ({ kind: 'outcome', outcome: value });
    return admitWake(notification, requests, {
      leaseTtl: (id) => this.leaseTtl(id),
      heartbeatIntervalMs: this.options.heartbeatIntervalMs,
      claims: this.claims,
      scheduler: this.scheduler,
    }).pipe(
      concatMap((admission): Observable<Step> => {
        if (admission.kind === 'refused')
          return of({ kind: 'answer', response: refused(admission.reason), remember: true });
        if (admission.kind === 'failed') {
          const code = (admission.error as { code?: string }).code ?? 'UNAVAILABLE';
          return of<Step[]>(
            { kind: 'answer', response: unavailable(code), remember: false },
            outcome({ kind: 'failed', wake: info, error: admission.error }),
          );
        }
        const { leaseTtlMs, leaseStartedAt } = admission;
        const run = runWake(
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
        );
        return concat(
          of<Step>({ kind: 'answer', response: ACCEPTED, remember: true }),
          run.pipe(
            map(outcome),
            catchError((error: unknown) => of(outcome({ kind: 'failed', wake: info, error }))),
          ),
        );
      }),
    );
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
      : new RequestExecutor({ ...this.runtime.options, headers: undefined, params: undefined });
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
