import { BehaviorSubject, catchError, EMPTY, merge, mergeMap, type Observable } from 'rxjs';
import { BatchBuilder } from './batch-builder.js';
import type { ProducerAck } from './deliver.js';
import { producerPipeline, type ProducerParts } from './producer-pipeline.js';
import { producerStatus$, type ProducerStatus } from './producer-status.js';
import { Sequencer } from './sequencer.js';

/** A producer's running part: what it shows, its numbering, and the start of its pipeline. */
export interface StartedProducer {
  /** What the pipeline delivers, acknowledged; completes when the producer stops. */
  readonly acks$: Observable<ProducerAck>;
  readonly status$: Observable<ProducerStatus>;
  readonly sequencer: Sequencer;
  /** Admits values from now on, held until the pipeline runs. */
  readonly builder: BatchBuilder;
  /** Subscribes the pipeline: called once the producer listens to `acks$` and has told the `sequencer` its restarts. */
  readonly run: () => void;
}

/**
 * Starts a producer (the entry of its lazy chunk, see `startLazily`): numbers
 * its batches with a new `Sequencer`, subscribes its pipeline once when told
 * to `run` (its completion finishes the producer, its error fails it) and derives what the
 * producer shows: `acks$` (what the pipeline delivers, completing when it
 * stops) and `status$` (looked at whenever batches open, the sequencing
 * moves, acknowledgements or saves arrive, or delivery starts failing).
 */
export function startProducer(parts: ProducerParts): StartedProducer {
  const { lifecycle, options } = parts;
  const builder = new BatchBuilder(parts.values, parts.lent, true);
  const durable = options.outbox !== undefined;
  const sequencer = new Sequencer(options.epoch, durable);
  const failing = new BehaviorSubject(false);
  const delivered$ = producerPipeline({ ...parts, builder, sequencer, failing });
  const changes = merge(builder.opened$, sequencer.changes$, lifecycle.moves$, failing);
  return {
    sequencer,
    builder,
    run: () =>
      void delivered$.subscribe({
        error: (error: unknown) => lifecycle.fail(error),
        // Delivered everything after finish(): done. (Stopped otherwise: the stop came first.)
        complete: () => lifecycle.stop('finished'),
      }),
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
