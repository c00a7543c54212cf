import {
  asyncScheduler,
  BehaviorSubject,
  concat,
  defer,
  EMPTY,
  identity,
  of,
  share,
  switchMap,
  take,
  takeUntil,
  tap,
  type Observable,
} from 'rxjs';
import type { StreamContext } from '../http/stream-context.js';
import type { RetryConfig } from '../retry/retry-config.js';
import { alongside } from './alongside.js';
import type { AdmittedValues } from './admitted-values.js';
import type { Batch, BatchBuilder } from './batch-builder.js';
import { deliverBatches, type Delivered } from './deliver.js';
import type { ProducerLifecycle } from './lifecycle.js';
import { lingered } from './linger.js';
import type { Durable } from './outbox/durable.js';
import type { ProducerLoan } from './producer-loan.js';
import type { ResolvedProducerOptions } from './producer-options.js';
import { httpBatchSender, type BatchSender } from './send-batch.js';
import type { Sequencer } from './sequencer.js';

/** What the producer's pipeline is made of, and what it tells the producer. */
export interface ProducerParts {
  readonly context: StreamContext;
  readonly options: ResolvedProducerOptions;
  /** The values appended so far, and the counts (see `AdmittedValues`): the producer's `BatchBuilder` takes them over. */
  readonly values: AdmittedValues;
  /** The HTTP sender (`httpBatchSender`) where none is given (specs give their own). */
  readonly send: BatchSender | undefined;
  /**
   * Emits (and replays) once the content type is first needed: the first
   * append, or at once when given. The HEAD goes then, if one is needed.
   */
  readonly framingNeeded: Observable<void>;
  /** Where the producer stands: its stop ends the pipeline (aborting what is in flight); it hears of errors and saves. */
  readonly lifecycle: ProducerLifecycle;
  /** Told the values handed back when a batch's delivery timeout passed (the producer stops). */
  readonly handedBack: (unsent: readonly unknown[]) => void;
  /** Told the final offset when `closeStream()`'s batch is acknowledged. */
  readonly closed: (finalOffset: string) => void;
  /** What the initial code lends this code, a lazy chunk (see `PRODUCER_LOAN`). */
  readonly lent: ProducerLoan;
}

/** What the pipeline is given besides: the numbering, and whether, since the last acknowledgement, delivery failed or waited for the network. */
export interface PipelineParts extends ProducerParts {
  /** Admits values and seals batches. */
  readonly builder: BatchBuilder;
  readonly sequencer: Sequencer;
  readonly failing: BehaviorSubject<boolean>;
}

/**
 * The whole producer as one Observable, subscribed once: sealed batches
 * (sealed by count and bytes as values are appended, by the linger timer,
 * and once the content type is known, all running alongside) → saved in the
 * outbox, if there is one → delivery (`deliverBatches`: `maxInFlight` at
 * once, in seq order) → the producer's accounting → shared, so `acks$` sees
 * each delivered batch after the producer has counted it. Completes once
 * the builder has ended and every batch is delivered (and the outbox
 * closed); fails with the error that stops the producer.
 *
 * With an outbox, its code is loaded when the producer is made (a lazy
 * chunk: bundles of apps without one carry none of it), the outbox is
 * opened and its batches go first, before any value of this producer.
 */
export function producerPipeline(parts: PipelineParts): Observable<Delivered> {
  const { context, options, builder, sequencer, lifecycle, failing, lent } = parts;
  const scheduler = context.scheduler ?? asyncScheduler;
  const { url, connectivity } = context;
  const { producerId, outbox } = options;
  const durable$: Observable<Durable | undefined> = outbox
    ? defer(() => import('./outbox/durable.js')).pipe(
        switchMap(({ openDurable }) =>
          openDurable({
            outbox,
            url,
            producerId,
            epoch: options.epoch,
            builder,
            sequencer,
            now: () => scheduler.now(),
            onSaved: (count) => lifecycle.saved(count),
            onOverdue: (cause) =>
              lifecycle.report(
                new lent.DeliveryOverdueError({ url, producerId, deliveryTimeoutMs: options.deliveryTimeoutMs, cause }),
              ),
            connectivity,
            lent,
          }),
        ),
      )
    : of(undefined);
  const linger$ = builder.opened$.pipe(
    lingered(options.lingerMs, () => builder.hasOpenBatch, scheduler),
    tap(() => builder.seal()),
  );
  /** After the outbox's batches: the content type once needed (the outbox's, if it knows it), then the values that waited. */
  const framing$ = (durable: Durable | undefined) =>
    concat(
      defer(() => {
        // Batches sealed while this code loaded were held: they go now, after the outbox's. The outbox ends with
        // closeStream()'s batch: the producer finishes after it.
        if (!durable) builder.resume([]);
        else if (durable.resume() && lifecycle.beginFinish()) builder.end();
        return EMPTY;
      }),
      parts.framingNeeded.pipe(
        take(1),
        switchMap(() =>
          durable?.contentType && !options.contentType
            ? of(durable.contentType)
            : contentTypeOf(context, options, lent),
        ),
        tap((contentType) => builder.frame(contentType)),
      ),
    );
  return durable$.pipe(
    switchMap((durable) =>
      builder.batches$.pipe(
        durable ? durable.save : identity,
        alongside(linger$, framing$(durable)),
        deliverBatches({
          ...options,
          sequencer,
          send: parts.send ?? httpBatchSender(context, producerId, options.request, lent),
          scheduler,
          retry: producerRetry(context, options, lent),
          lent,
          // Giving up (without an outbox), the producer stops at once: it hands back what is unacknowledged now.
          expired: (cause) => {
            const unsent = builder.unsent();
            parts.handedBack(unsent);
            const { deliveryTimeoutMs } = options;
            return new lent.DeliveryTimeoutError({ url, producerId, deliveryTimeoutMs, cause, unsent });
          },
          refused: (value, cause) => new lent.ValueTooLargeError({ url, producerId, limit: 'server', value, cause }),
          replace: (batch: Batch, halves: readonly Batch[]) => builder.pending.replace(batch, halves),
          wake: connectivity.wakes,
          failing: () => failing.value || failing.next(true),
          durable,
        }),
        tap((delivered) => {
          // The producer's accounting of each delivered batch: done before anyone else hears of it.
          const { batch, ack, rejected } = delivered;
          if (rejected) lifecycle.report(rejected);
          else builder.pending.acknowledge(batch);
          if (ack && batch.close) parts.closed(ack.nextOffset ?? '');
          lifecycle.acknowledged(builder.pending.settledCount);
          durable?.acknowledged(delivered);
          if (failing.value && delivered.ack) failing.next(false);
        }),
        durable ? durable.keep : identity,
      ),
    ),
    takeUntil(lifecycle.stopped$),
    share({ resetOnError: false, resetOnComplete: false, resetOnRefCountZero: false }),
  );
}

/**
 * The backoff between attempts at a batch: the client's policy refined by
 * the producer's `retry`, without the client's bound on retries (the
 * delivery timeout bounds them); the producer's own `retry.maxRetries` does.
 */
function producerRetry(context: StreamContext, options: ResolvedProducerOptions, lent: ProducerLoan): RetryConfig {
  const retry = options.request.retry;
  return lent.resolveRetryConfig({ ...context.retry, ...retry, maxRetries: retry?.maxRetries ?? Infinity });
}

/**
 * The stream's content type: the producer's option, else the handle's,
 * learned with one HEAD that carries the producer's own headers and params
 * (its credentials).
 */
function contentTypeOf(
  context: StreamContext,
  options: ResolvedProducerOptions,
  lent: ProducerLoan,
): Observable<string> {
  const { headers, params } = options.request;
  return options.contentType
    ? of(options.contentType)
    : defer(() => lent.learnContentType(context, { headers, params }));
}
