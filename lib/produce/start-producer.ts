import { BehaviorSubject, catchError, EMPTY, merge, mergeMap, type Observable } from 'rxjs';
import type { ProducerAck } from './deliver.js';
import { producerPipeline, type ProducerParts } from './producer-pipeline.js';
import { producerStatus$, type ProducerStatus } from './producer-status.js';

/**
 * Starts a producer: subscribes its pipeline once (its completion finishes
 * the producer, its error fails it) and derives what the producer shows:
 * `acks$` (what the pipeline delivers, completing when it stops) and
 * `status$` (looked at whenever batches open, the sequencing moves,
 * acknowledgements or saves arrive, or delivery starts failing).
 */
export function startProducer(parts: ProducerParts): {
  readonly acks$: Observable<ProducerAck>;
  readonly status$: Observable<ProducerStatus>;
} {
  const { builder, sequencer, lifecycle } = parts;
  const failing = new BehaviorSubject(false);
  const delivered$ = producerPipeline({ ...parts, failing });
  delivered$.subscribe({
    error: (error: unknown) => lifecycle.fail(error),
    // Delivered everything after finish(): done. (Stopped otherwise: the stop came first.)
    complete: () => lifecycle.stop('finished'),
  });
  const durable = parts.options.outbox !== undefined;
  const changes = merge(builder.opened$, sequencer.changes$, lifecycle.moves$, failing);
  return {
    acks$: delivered$.pipe(
      mergeMap(({ ack }) => (ack ? [ack] : [])),
      catchError(() => EMPTY),
    ),
    status$: producerStatus$(changes, lifecycle.stopped$, () => ({
      pending: builder.pendingCount,
      saved: durable ? lifecycle.savedCount - builder.pending.settledCount : 0,
      // Once stopped, nothing is on its way any more.
      onWire: lifecycle.isStopped ? 0 : sequencer.state.onWire.length,
      failing: !lifecycle.isStopped && failing.value,
      durable,
    })),
  };
}
