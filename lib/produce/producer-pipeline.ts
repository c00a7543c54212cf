import { asyncScheduler, defer, of, share, switchMap, take, takeUntil, tap, type Observable } from 'rxjs';
import type { StreamContext } from '../http/stream-context.js';
import { resolveRetryConfig, type RetryConfig } from '../retry/retry-config.js';
import { alongside } from './alongside.js';
import type { Batch, BatchBuilder } from './batch-builder.js';
import { deliverBatches, type Delivered } from './deliver.js';
import { lingered } from './linger.js';
import { ValueTooLargeError } from './producer-errors.js';
import type { ResolvedProducerOptions } from './producer-options.js';
import type { BatchSender } from './send-batch.js';
import type { Sequencer } from './sequencer.js';

/** What the producer's pipeline is made of, and what it tells the producer. */
export interface ProducerParts {
  readonly context: StreamContext;
  readonly options: ResolvedProducerOptions;
  /** Admits values and seals batches (see `BatchBuilder`). */
  readonly builder: BatchBuilder;
  readonly sequencer: Sequencer;
  readonly send: BatchSender;
  /** Emits when the content type is first needed (the first append, or at once when given): the HEAD goes then, if one is needed. */
  readonly framingNeeded: Observable<void>;
  /** Ends the pipeline when it emits, aborting what is in flight: the producer stopped. */
  readonly stopped: Observable<void>;
  /** The error that stops the producer when a batch's delivery timeout has passed, `cause` its last failure. */
  readonly expired: (cause: unknown) => Error;
  /** The producer's accounting of each delivered batch: done before anyone else hears of it. */
  readonly settle: (delivered: Delivered) => void;
}

/**
 * The whole producer as one Observable, subscribed once: sealed batches
 * (sealed by count and bytes as values are appended, by the linger timer,
 * and once the content type is known, all running alongside) → delivery
 * (`deliverBatches`: `maxInFlight` at once, in seq order) → the producer's
 * accounting → shared, so `acks$` sees each delivered batch after the
 * producer has counted it. Completes once the builder has ended and every
 * batch is delivered; fails with the error that stops the producer.
 */
export function producerPipeline(parts: ProducerParts): Observable<Delivered> {
  const { context, options, builder, sequencer, send, expired } = parts;
  const scheduler = context.scheduler ?? asyncScheduler;
  const { url, connectivity } = context;
  return builder.batches$.pipe(
    alongside(
      builder.opened$.pipe(
        lingered(options.lingerMs, () => builder.hasOpenBatch, scheduler),
        tap(() => builder.seal()),
      ),
      parts.framingNeeded.pipe(
        take(1),
        switchMap(() => contentTypeOf(context, options)),
        tap((contentType) => builder.frame(contentType)),
      ),
    ),
    deliverBatches({
      ...options,
      sequencer,
      send,
      scheduler,
      expired,
      retry: producerRetry(context, options),
      refused: (value, cause) =>
        new ValueTooLargeError({ url, producerId: options.producerId, limit: 'server', value, cause }),
      replace: (batch: Batch, halves: readonly Batch[]) => builder.pending.replace(batch, halves),
      wake: connectivity.wakes,
    }),
    tap(parts.settle),
    takeUntil(parts.stopped),
    share({ resetOnError: false, resetOnComplete: false, resetOnRefCountZero: false }),
  );
}

/**
 * The backoff between attempts at a batch: the client's policy refined by
 * the producer's `retry`, without the client's bound on retries (the
 * delivery timeout bounds them); the producer's own `retry.maxRetries` does.
 */
function producerRetry(context: StreamContext, options: ResolvedProducerOptions): RetryConfig {
  const retry = options.request.retry;
  return resolveRetryConfig({ ...context.retry, ...retry, maxRetries: retry?.maxRetries ?? Infinity });
}

/**
 * The stream's content type: the producer's option, else the handle's,
 * learned with one HEAD that carries the producer's own headers and params
 * (its credentials).
 */
function contentTypeOf(context: StreamContext, options: ResolvedProducerOptions): Observable<string> {
  const { headers, params } = options.request;
  return options.contentType ? of(options.contentType) : defer(() => context.contentType({ headers, params }));
}
