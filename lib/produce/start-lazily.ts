import {
  catchError,
  defer,
  EMPTY,
  map,
  of,
  ReplaySubject,
  share,
  Subject,
  switchMap,
  tap,
  throwError,
  type Observable,
} from 'rxjs';
import { DurableStreamError } from '../errors/durable-stream-error.js';
import type { ProducerParts } from './producer-pipeline.js';
import { PRODUCER_LOAN } from './producer-loan.js';
import type { BatchBuilder } from './batch-builder.js';
import type { ProducerAck } from './deliver.js';
import type { ProducerStatus } from './producer-status.js';
import type { Sequencer } from './sequencer.js';
import type { StartedProducer } from './start-producer.js';

type ProducerCode = typeof import('./start-producer.js');

/** The producer's running code once loaded: every producer made after that starts at once (synchronously). */
let loaded: ProducerCode | undefined;

/**
 * Gives the producer's running code now, so every producer starts at once (synchronously): the Node entry's, which has
 * no bundle to keep small (a burst appended as a producer is made is then batched as it comes, not held meanwhile).
 */
export function provideProducerCode(code: ProducerCode): void {
  loaded ??= code;
}

/** A producer's running part, whose code may still be loading. */
export interface LazyStart {
  /** Every acknowledged batch (subscribers from before the code loaded miss none); completes when the producer stops. */
  readonly acks$: Observable<ProducerAck>;
  /** The producer's status, once the code has loaded. */
  readonly status$: Observable<ProducerStatus>;
  /** The numbering, once the code has loaded. */
  readonly sequencer: () => Sequencer | undefined;
  /** The batch builder, once the code has loaded (before, the values wait in the producer's `AdmittedValues`). */
  readonly builder: () => BatchBuilder | undefined;
  /** Starts a new session: now, or once the code has loaded, before anything is sent. */
  readonly restart: () => void;
}

/**
 * Starts a producer whose running code (delivery, sequencing, its status,
 * 413 splitting: `startProducer`) is a lazy chunk, so an app's initial
 * bundle carries only what appending needs, as a live read's code loads
 * while it catches up. The chunk is asked for when the producer is made;
 * values appended meanwhile wait in its `AdmittedValues`, encoded one by
 * one, for the batch builder (in the chunk) to write. A chunk that cannot be loaded
 * fails the producer, which hands its values back.
 */
export function startLazily(parts: Omit<ProducerParts, 'lent'>): LazyStart {
  let started: StartedProducer | undefined;
  let restarts = 0;
  const acks = new Subject<ProducerAck>();
  // The outbox's code (a chunk the running code imports) is asked for now too: a page that goes away before the
  // outbox is open loses what it held in memory, so the two chunks load side by side, not one after the other.
  if (parts.options.outbox) import('./outbox/durable.js').catch(() => undefined);
  const started$ = producerCode(parts.context.url).pipe(
    map(({ startProducer }) => startProducer({ ...parts, lent: PRODUCER_LOAN })),
    share({
      connector: () => new ReplaySubject(1),
      resetOnError: false,
      resetOnComplete: false,
      resetOnRefCountZero: false,
    }),
  );
  started$.subscribe({
    next: (running) => {
      started = running;
      for (; restarts > 0; restarts--) running.sequencer.dispatch({ type: 'restart' });
      running.acks$.subscribe(acks);
      running.run();
    },
    error: (error: unknown) => {
      parts.lifecycle.fail(error);
      acks.complete();
    },
  });
  return {
    acks$: acks.asObservable(),
    status$: started$.pipe(
      switchMap((running) => running.status$),
      catchError(() => EMPTY),
    ),
    sequencer: () => started?.sequencer,
    builder: () => started?.builder,
    restart: () => {
      if (started) started.sequencer.dispatch({ type: 'restart' });
      else restarts++;
    },
  };
}

/** The producer's running code: at once (synchronously) once loaded; a load that fails names the stream at `url`. */
export function producerCode(url: string): Observable<ProducerCode> {
  if (loaded) return of(loaded);
  return defer(() => import('./start-producer.js')).pipe(
    tap((module) => (loaded = module)),
    catchError((cause: unknown) =>
      throwError(
        () =>
          new DurableStreamError('PRODUCER_FAILED', "The producer's code could not be loaded", {
            url,
            cause,
            hint: "Check that the app's chunks are served (a lazy chunk of durable-streams-rx); unsentValues() has the values",
          }),
      ),
    ),
  );
}
