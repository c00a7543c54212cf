import {
  asyncScheduler,
  catchError,
  concat,
  defer,
  last,
  map,
  mergeMap,
  Observable,
  of,
  switchMap,
  tap,
  type OperatorFunction,
  type SchedulerLike,
} from 'rxjs';
import type { DurableStreamError } from '../errors/durable-stream-error.js';
import type { PayloadTooLargeError } from '../errors/http-errors.js';
import type { RetryConfig } from '../retry/retry-config.js';
import { halves } from './batch-split.js';
import type { Batch } from './pending-batches.js';
import type { ProducerLoan } from './producer-loan.js';
import type { BatchResponse, BatchSender } from './send-batch.js';
import { mayBeWritten, mayClaim, type Go, type Setback } from './sequence-state.js';
import type { Sequencer } from './sequencer.js';

/** One acknowledged batch, as `acks$` reports it. */
export interface ProducerAck {
  /** The producer epoch the batch was sent with. */
  readonly epoch: number;
  /** The batch's sequence number within that epoch. */
  readonly seq: number;
  /** Messages in the batch. */
  readonly count: number;
  /** The stream's tail after the batch; undefined when the server did not say (duplicates). */
  readonly nextOffset: string | undefined;
  /** The server already had this batch: an earlier attempt landed though its response was lost. */
  readonly duplicate: boolean;
}

/**
 * What delivery emits for each batch: its acknowledgement, or, for a value
 * the server refused alone as too large, that value handed back (`rejected`).
 */
export type Delivered =
  | { readonly batch: Batch; readonly ack: ProducerAck; readonly rejected?: undefined }
  | { readonly batch: Batch; readonly ack?: undefined; readonly rejected: DurableStreamError };

export interface DeliveryOptions {
  readonly sequencer: Sequencer;
  readonly send: BatchSender;
  /** Batches on their way at once (mergeMap's concurrency). */
  readonly maxInFlight: number;
  /** On a stale epoch, claim the next one rather than fail. */
  readonly autoClaim: boolean;
  /** Backoff between attempts at one batch (its `maxRetries` bounds them too). */
  readonly retry: RetryConfig;
  /** How long after its first value's append a batch is retried (`Infinity`: forever). */
  readonly deliveryTimeoutMs: number;
  /** The error that stops the producer when a batch's delivery timeout has passed, `cause` its last failure. */
  readonly expired: (cause: unknown) => Error;
  /** Backoff timers and the clock of delivery timeouts; undefined for rxjs's `asyncScheduler`. */
  readonly scheduler: SchedulerLike | undefined;
  /** The error that hands back a value the server refused alone as too large (413, `cause`). */
  readonly refused: (value: unknown, cause: unknown) => DurableStreamError;
  /** Replaces a batch refused as too large by smaller ones (or none), renumbering those after it (`PendingBatches.replace`). */
  readonly replace: (batch: Batch, parts: readonly Batch[]) => void;
  /** Ends a backoff wait early: the network is back, the machine woke. */
  readonly wake: Observable<unknown>;
  /**
   * With an outbox, what is saved is never given up for time: a batch is
   * retried past its delivery timeout (`overdue` is told instead, once per
   * batch), and while the platform says it is offline no attempt is made
   * (and no retry spent): delivery waits for the network.
   */
  readonly durable?: {
    readonly overdue: (cause: unknown) => void;
    /** `request`, once the platform says it is online (`waiting` told when it waits). */
    readonly online: <T>(request: Observable<T>, waiting?: (error: unknown) => void) => Observable<T>;
  };
  /** Told each failure about to be retried, and (`undefined`) each wait for the network: the producer's status. */
  readonly failing?: (error: unknown) => void;
  /** What the initial code lends (see `PRODUCER_LOAN`). */
  readonly lent: ProducerLoan;
}

type SendTurn = Extract<Go, { kind: 'send' }>;

/**
 * Delivers sealed batches, up to `maxInFlight` at once, and emits each one
 * with its acknowledgement, in the order acknowledgements arrive. A batch
 * asks the {@link Sequencer} for its (epoch, seq), is sent, and after a
 * setback (a sequence gap, a claimed epoch, a stream its successor closed)
 * waits for its turn again. Transient failures (network errors, timeouts,
 * 5xx, 429) are retried with backoff, the same (epoch, seq) and body each
 * time, until `deliveryTimeoutMs` after the batch's first value: even when
 * the server applied an attempt whose answer was lost, the retry is
 * answered as a duplicate, never written twice. A batch refused as too
 * large (413) is split in halves, which go in its place; a value refused
 * alone is handed back, and the batches after it go on. Fails with the
 * error that stops the producer: nothing after a batch that cannot be
 * delivered may be sent, since it could only leave a gap.
 */
export function deliverBatches(options: DeliveryOptions): OperatorFunction<Batch, Delivered> {
  const { sequencer, send, maxInFlight, autoClaim, retry, deliveryTimeoutMs, expired, refused, replace, wake } =
    options;
  const { durable, failing, lent } = options;
  const { isRetryable, StaleEpochError, SequenceGapError, StreamClosedError } = lent;
  const scheduler = options.scheduler ?? asyncScheduler;
  const notRetried = () =>
    `Not retried: the batch's delivery timeout (deliveryTimeoutMs ${deliveryTimeoutMs}) had passed`;
  return (batches) =>
    defer(() => {
      /** Whether closeStream()'s batch went by: a batch then refused by a closed stream may be written already. */
      let closing = false;

      /** One batch, from its turn to its acknowledgement; holds a mergeMap slot until then. */
      const deliver = (batch: Batch, setback?: Setback): Observable<Delivered> =>
        sequencer.turn$(batch, setback).pipe(
          switchMap((turn) =>
            turn.kind === 'send'
              ? attempt(batch, turn)
              : // Proved written by a later batch's acknowledgement.
                of(
                  delivered(batch, setback?.epoch ?? sequencer.epoch, setback?.seq ?? -1, {
                    nextOffset: undefined,
                    duplicate: true,
                  }),
                ),
          ),
        );

      const attempt = (batch: Batch, turn: SendTurn): Observable<Delivered> => {
        const deadline = batch.openedAt + deliveryTimeoutMs;
        let overdue = false;
        // Decided before each retry, so no request is ever cut short by the deadline.
        const retryIf = (error: unknown) => {
          if (!isRetryable(error)) return false;
          if (scheduler.now() < deadline) return true;
          if (durable && !overdue) durable.overdue(error);
          return (overdue = durable !== undefined);
        };
        const request = send({
          epoch: turn.epoch,
          seq: turn.seq,
          body: batch.body,
          contentType: batch.contentType,
          close: batch.close,
        });
        const outcome = (durable ? durable.online(request, failing) : request).pipe(
          lent.retryWithBackoff(retry, scheduler, { retryIf, wake, notRetried, onRetry: failing }),
          // last(), not first(): unsubscribing before the exchange completes would abort its finished request.
          last(),
          map((response) => {
            sequencer.dispatch({ type: 'accepted', ordinal: batch.ordinal, epoch: turn.epoch });
            return delivered(batch, turn.epoch, turn.seq, response);
          }),
          catchError((error: unknown) =>
            error instanceof lent.PayloadTooLargeError
              ? smaller(error, batch, turn)
              : deliver(batch, setbackOf(error, batch, turn, deadline)),
          ),
        );
        return new Observable<Delivered>((subscriber) =>
          sequencer.sending(batch.ordinal, () => outcome.subscribe(subscriber)),
        );
      };

      /**
       * A batch refused as too large goes again in halves, in its place. A
       * value refused alone is handed back; closeStream()'s then closes the
       * stream without it.
       */
      const smaller = (error: PayloadTooLargeError, batch: Batch, turn: SendTurn): Observable<Delivered> => {
        const setback: Setback = { kind: 'resized', epoch: turn.epoch, seq: turn.seq };
        if (batch.count > 1) {
          const parts = halves(batch, lent);
          sequencer.resized(batch.ordinal, () => replace(batch, parts));
          return concat(...parts.map((part) => deliver(part, setback)));
        }
        if (batch.count === 0) {
          sequencer.dispatch({ type: 'failed', ordinal: batch.ordinal });
          throw error;
        }
        const [value] = lent.batchValues(batch.body, lent.framingOf(batch.contentType), batch.sizes);
        const parts: Batch[] = batch.close ? [{ ...batch, count: 0, bytes: 0, body: undefined, sizes: undefined }] : [];
        const handedBack = sequencer
          .resized(batch.ordinal, () => replace(batch, parts))
          .pipe(map((): Delivered => ({ batch, rejected: refused(value, error) })));
        return concat(handedBack, ...parts.map((part) => deliver(part, setback)));
      };

      /** Classifies a failed attempt: a setback to wait out, or (thrown) the error that stops the producer. */
      const setbackOf = (error: unknown, batch: Batch, turn: SendTurn, deadline: number): Setback => {
        const at = { epoch: turn.epoch, seq: turn.seq };
        const { ordinal } = batch;
        if (error instanceof StaleEpochError && autoClaim) {
          const fenced = { type: 'fenced', ordinal, epoch: turn.epoch, serverEpoch: error.currentEpoch } as const;
          if (mayClaim(sequencer.dispatch(fenced))) return { kind: 'fenced', ...at };
          throw error;
        }
        // A gap is expected only while an earlier batch is unconfirmed (requests
        // overtake each other); otherwise the server lost our state: give up.
        if (error instanceof SequenceGapError && turn.predecessorsPending && error.expectedSeq < turn.seq) {
          sequencer.dispatch({ type: 'gap', ordinal });
          return { kind: 'gap', ...at };
        }
        // After closeStream(): a batch whose answer was lost is refused on retry by
        // the stream its successor closed (only the closing (epoch, seq) counts as
        // a duplicate, 5.2.1). It was written if that successor is acknowledged.
        if (error instanceof StreamClosedError && !batch.close && closing) {
          if (mayBeWritten(sequencer.dispatch({ type: 'closed', ordinal }), ordinal)) return { kind: 'closed', ...at };
          throw error;
        }
        sequencer.dispatch({ type: 'failed', ordinal });
        throw isRetryable(error) && scheduler.now() >= deadline ? expired(error) : error;
      };

      return batches.pipe(
        tap((batch) => (closing ||= batch.close)),
        mergeMap((batch) => deliver(batch), maxInFlight),
      );
    });
}

function delivered(batch: Batch, epoch: number, seq: number, response: BatchResponse): Delivered {
  return {
    batch,
    ack: { epoch, seq, count: batch.count, nextOffset: response.nextOffset, duplicate: response.duplicate },
  };
}
