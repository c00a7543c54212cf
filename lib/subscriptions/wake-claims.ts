import { catchError, concatMap, of, throwError, type Observable } from 'rxjs';
import { errorFromResponse } from '../errors/error-from-response.js';
import { StreamExistsError, StreamNotFoundError } from '../errors/http-errors.js';
import { callRequest } from '../http/request-call.js';
import type { RequestExecutor } from '../http/request-executor.js';
import { Header, WriteHeader } from '../protocol/headers.js';
import { resolveStreamUrl } from '../protocol/url.js';
import type { RetryConfig } from '../retry/retry-config.js';
import type { WebhookNotification } from './subscription-types.js';

const JSON_TYPE = 'application/json';

/**
 * Claims of webhook wakes in a JSON stream of the same server, so that
 * receiver instances behind one endpoint run each wake once: every
 * instance given a delivery appends a claim as an idempotent producer whose
 * id is the wake's (epoch 0, sequence 0). The server applies the first
 * (200) and answers every later one as a duplicate (204), atomically: the
 * one whose append was applied runs the wake. A claim whose answer was lost
 * and whose retry comes back a duplicate runs nowhere; the wake's lease
 * then runs out and the server wakes the subscription again, so nothing
 * is lost. The stream is created on first use; it keeps one small message
 * per wake, a journal of which receiver took it.
 */
export class WakeClaims {
  private readonly url: string;

  constructor(
    private readonly executor: RequestExecutor,
    baseUrl: string,
    /** The claims stream's path, as the receiver was given it. */
    readonly path: string,
    /** This receiver instance, named in its claims. */
    private readonly receiverId: string,
    private readonly retry: Partial<RetryConfig>,
  ) {
    this.url = resolveStreamUrl(baseUrl, path);
  }

  /** Emits true when this receiver's claim of the wake was the first, false when another's was. */
  claim(notification: WebhookNotification): Observable<boolean> {
    const append = callRequest(
      this.executor,
      {
        method: 'POST',
        url: this.url,
        headers: {
          [Header.contentType]: JSON_TYPE,
          [WriteHeader.producerId]: `wake/${encodeURIComponent(notification.subscriptionId)}/${encodeURIComponent(notification.wakeId)}`,
          [WriteHeader.producerEpoch]: '0',
          [WriteHeader.producerSeq]: '0',
        },
        body: JSON.stringify({
          type: 'wake-claim',
          subscription_id: notification.subscriptionId,
          wake_id: notification.wakeId,
          generation: notification.generation,
          receiver: this.receiverId,
          at: new Date().toISOString(),
        }),
        errorFrom: errorFromResponse,
      },
      async (response) => {
        await response.body.dump();
        return response.status === 200;
      },
      // Repeating it is safe: the server deduplicates the producer's append.
      'idempotent',
      this.retry,
    );
    return append.pipe(
      catchError((error: unknown) =>
        error instanceof StreamNotFoundError ? this.create().pipe(concatMap(() => append)) : throwError(() => error),
      ),
    );
  }

  /** Creates the stream (PUT, idempotent); one that exists already, of any configuration, is fine. */
  private create(): Observable<unknown> {
    return callRequest(
      this.executor,
      { method: 'PUT', url: this.url, headers: { [Header.contentType]: JSON_TYPE }, errorFrom: errorFromResponse },
      (response) => response.body.dump(),
      'idempotent',
      this.retry,
    ).pipe(
      catchError((error: unknown) => (error instanceof StreamExistsError ? of(undefined) : throwError(() => error))),
    );
  }
}
