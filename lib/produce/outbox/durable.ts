import {
  AsyncSubject,
  catchError,
  concat,
  concatAll,
  concatMap,
  defer,
  EMPTY,
  finalize,
  first,
  from,
  ignoreElements,
  map,
  merge,
  Observable,
  of,
  startWith,
  Subject,
  switchMap,
  takeUntil,
  tap,
  throwError,
  type MonoTypeOperatorFunction,
} from 'rxjs';
import type { Connectivity } from '../../retry/connectivity.js';
import type { Delivered } from '../deliver.js';
import type { Batch, SealedContent } from '../pending-batches.js';
import type { BatchBuilder } from '../batch-builder.js';
import type { SequenceState } from '../sequence-state.js';
import type { Sequencer } from '../sequencer.js';
import type { ProducerLoan } from '../producer-loan.js';
import type { OutboxError } from './outbox-errors.js';
import type {
  OutboxBatch,
  OutboxChange,
  OutboxContents,
  OutboxPosition,
  OutboxSession,
  ProducerOutbox,
} from './producer-outbox.js';

/** What a producer hands its outbox's logic. */
export interface DurableParts {
  readonly outbox: ProducerOutbox;
  readonly url: string;
  readonly producerId: string;
  /** The producer's `epoch` option: taken when the outbox holds no batch and a lower epoch. */
  readonly epoch: number;
  readonly builder: BatchBuilder;
  readonly sequencer: Sequencer;
  /** The scheduler's clock: resumed batches' delivery timeouts count from now. */
  readonly now: () => number;
  /** Told the messages saved so far (appended order), for `saved()`. */
  readonly onSaved: (count: number) => void;
  /** Reports a batch past its delivery timeout (a `DeliveryOverdueError`). */
  readonly onOverdue: (cause: unknown) => void;
  /** The platform's network signals: no attempt is made while it says it is offline. */
  readonly connectivity: Connectivity;
  /** What the producer lends this code (see {@link DurableLoan}). */
  readonly lent: DurableLoan;
}

/** What of the producer's loan (`PRODUCER_LOAN`, for code in lazy chunks) the outbox's logic uses. */
export type DurableLoan = Pick<ProducerLoan, 'OutboxError' | 'OutboxLockedError' | 'framingOf' | 'isBefore'>;

/** A producer's outbox, opened: what it held, and the stages that keep it in step with the producer. */
export interface Durable {
  /** The content type the outbox knows, if any. */
  readonly contentType: string | undefined;
  /** Hands the builder the batches the outbox held, to go first (they count as saved); true when the last closes the stream. */
  resume(): boolean;
  /** Passes each batch on once the outbox holds it (batches sealed meanwhile are saved with it, in one write). */
  readonly save: MonoTypeOperatorFunction<Batch>;
  /** A delivered batch; acknowledged, it is removed from the outbox (with the next write). */
  acknowledged(delivered: Delivered): void;
  /** A batch is past its delivery timeout: reported once until a batch is delivered again. */
  readonly overdue: (cause: unknown) => void;
  /** `request` once the platform does not say it is offline (`waiting` told): no attempt, nor retry, is spent while it does. */
  online<T>(request: Observable<T>, waiting?: (error: unknown) => void): Observable<T>;
  /** Runs the writes alongside delivery; once delivery completes, writes what is left and closes the outbox. */
  readonly keep: MonoTypeOperatorFunction<Delivered>;
}

interface Queued {
  readonly batch: Batch;
  readonly done: AsyncSubject<Batch>;
}

/**
 * Opens `parts.outbox` for the producer: refuses an outbox that holds
 * another producer's batches (`OutboxError` `mismatch`) or cannot be read,
 * sets the sequencer where the outbox's numbering stands, and returns the
 * stages that save every batch before it is sent (the group commit: what
 * is sealed while a write runs goes in the next one), save every numbering
 * before a batch goes under it, and remove what is acknowledged.
 */
export function openDurable(parts: DurableParts): Observable<Durable> {
  const { OutboxError, OutboxLockedError } = parts.lent;
  return defer(() => parts.outbox.open()).pipe(
    map((session) => {
      try {
        return durable(session, parts);
      } catch (error) {
        void session.close();
        throw error;
      }
    }),
    catchError((error: unknown) =>
      throwError(() =>
        error instanceof OutboxLockedError || error instanceof OutboxError
          ? error
          : new OutboxError({
              reason: 'open-failed',
              what: 'The outbox could not be opened',
              url: parts.url,
              cause: error,
            }),
      ),
    ),
  );
}

function durable(session: OutboxSession, parts: DurableParts): Durable {
  const { url, producerId, builder, sequencer } = parts;
  const { OutboxError, isBefore } = parts.lent;
  const { contents } = session;
  const resumed = resumedBatches(contents, parts);
  const start = startOf(contents, resumed, parts);
  sequencer.dispatch({ type: 'resume', epoch: start.epoch, seq: start.seq, batches: resumed.length });
  let contentType = start.contentType;
  let nextSeq = start.seq + resumed.length;
  let acknowledged: { epoch: number; seq: number } | undefined;
  const queue: Queued[] = [];
  /** Numbering the outbox holds the batches under. */
  let savedNumbering = sequencer.state.savedNumbering;
  let overdueTold = false;
  const pokes = new Subject<void>();
  const poke = () => pokes.next();

  /** One change: everything asked since the last (nothing: no write). */
  const writeDirty = (): Observable<never> =>
    defer(() => {
      const state = sequencer.state;
      const renumber = state.numbering !== savedNumbering;
      const items = queue.splice(0);
      const ack = acknowledged;
      acknowledged = undefined;
      if (!renumber && items.length === 0 && !ack) return EMPTY;
      // Renumbered: every batch not acknowledged, under the new numbering, replaces what the outbox held.
      const batches = renumber ? builder.pending.from(state.acceptedBelow) : items.map(({ batch }) => batch);
      const put = batches.map((batch) => outboxBatch(batch, state));
      const last = put.at(-1);
      if (last) contentType = last.contentType || contentType;
      nextSeq = last ? last.seq + 1 : renumber ? state.acceptedBelow - state.base : nextSeq;
      const position: OutboxPosition = { url, producerId, epoch: state.epoch, nextSeq, contentType };
      const change: OutboxChange = renumber
        ? { replaceAll: true, put, position }
        : { ...(ack ? { acknowledged: ack } : {}), put, position };
      return from(session.write(change)).pipe(
        tap(() => {
          for (const batch of batches) batch.saved = true;
          for (const { batch, done } of items) {
            done.next(batch);
            done.complete();
          }
          if (renumber) {
            savedNumbering = state.numbering;
            sequencer.dispatch({ type: 'numbering-saved', numbering: state.numbering });
          }
        }),
        ignoreElements(),
        catchError((error: unknown) =>
          throwError(
            () =>
              new OutboxError({
                reason: 'write-failed',
                what: 'A change could not be saved in the outbox',
                url,
                cause: error,
              }),
          ),
        ),
      );
    });

  return {
    contentType,
    resume: () => {
      builder.resume(resumed);
      return resumed.at(-1)?.close === true;
    },
    save: (batches) =>
      batches.pipe(
        map((batch) => {
          if (batch.saved) return of(batch);
          const done = new AsyncSubject<Batch>();
          queue.push({ batch, done });
          poke();
          return done;
        }),
        concatAll(),
        tap((batch) => parts.onSaved(batch.endCount)),
      ),
    acknowledged: ({ ack }) => {
      overdueTold = false;
      if (!ack || ack.seq < 0) return;
      const key = { epoch: ack.epoch, seq: ack.seq };
      if (!acknowledged || isBefore(acknowledged, key)) acknowledged = key;
      poke();
    },
    online: (request, waiting) =>
      defer(() => {
        const { connectivity } = parts;
        if (!connectivity.isOffline()) return request;
        waiting?.(undefined);
        return connectivity.wakes.pipe(
          first(() => !connectivity.isOffline()),
          switchMap(() => request),
        );
      }),
    overdue: (cause) => {
      if (!overdueTold) parts.onOverdue(cause);
      overdueTold = true;
    },
    keep: (deliveries) =>
      defer(() => {
        const delivered = new Subject<void>();
        // Writes one at a time; pokes while one runs are taken by the next.
        // A first look at once: a renumbering may have come before the writes were subscribed.
        const writes = merge(pokes, sequencer.renumbered$).pipe(
          startWith(undefined),
          takeUntil(delivered),
          concatMap(() => writeDirty()),
        );
        const close = defer(() => from(session.close())).pipe(ignoreElements());
        return concat(
          merge(
            writes,
            deliveries.pipe(
              tap({
                complete: () => {
                  poke();
                  delivered.next();
                },
              }),
            ),
          ),
          close,
        ).pipe(finalize(() => void session.close()));
      }),
  };
}

/** The outbox's batches, checked (one producer's, one epoch, seqs in a row) and ready for the builder. */
function resumedBatches(contents: OutboxContents, parts: DurableParts): SealedContent[] {
  const { position, batches } = contents;
  if (batches.length === 0) return [];
  if (!position) throw damaged(parts, 'it holds batches but no position');
  if (position.url !== parts.url || position.producerId !== parts.producerId)
    throw new parts.lent.OutboxError({
      reason: 'mismatch',
      what: `The outbox holds ${batches.length} batches of producer '${position.producerId}' for ${position.url}, not of producer '${parts.producerId}'`,
      url: parts.url,
    });
  const [first] = batches;
  for (const [index, batch] of batches.entries())
    if (batch.epoch !== first.epoch || batch.seq !== first.seq + index)
      throw damaged(parts, `its batches do not follow each other (epoch ${batch.epoch}, seq ${batch.seq})`);
  const openedAt = parts.now();
  return batches.map((batch) => ({
    count: batch.count,
    bytes: valueBytes(batch, parts.lent),
    close: batch.close,
    body: batch.body,
    sizes: batch.sizes,
    contentType: batch.contentType,
    openedAt,
    saved: true,
  }));
}

/** Where the numbering starts: the outbox's first batch; else its position (a higher `epoch` option from seq 0); else the option. */
function startOf(
  contents: OutboxContents,
  resumed: readonly SealedContent[],
  parts: DurableParts,
): { epoch: number; seq: number; contentType: string | undefined } {
  const { position, batches } = contents;
  const own = position && position.url === parts.url && position.producerId === parts.producerId ? position : undefined;
  const contentType = own?.contentType ?? resumed[0]?.contentType;
  if (batches.length > 0) return { epoch: batches[0].epoch, seq: batches[0].seq, contentType };
  if (!own || parts.epoch > own.epoch) return { epoch: parts.epoch, seq: 0, contentType };
  return { epoch: own.epoch, seq: own.nextSeq, contentType };
}

/** A pending batch as the outbox keeps it, under the numbering of `state`. */
function outboxBatch(batch: Batch, state: SequenceState): OutboxBatch {
  const { count, body, sizes, close, contentType } = batch;
  return { epoch: state.epoch, seq: batch.ordinal - state.base, count, body, sizes, close, contentType };
}

/** The bytes of a batch's values, as the producer counts them: the body without a JSON array's brackets and commas. */
function valueBytes({ body, count, contentType }: OutboxBatch, { framingOf }: DurableLoan): number {
  if (!body) return 0;
  return framingOf(contentType) === 'json' && count > 0 ? body.byteLength - count - 1 : body.byteLength;
}

function damaged({ url, lent }: DurableParts, why: string): OutboxError {
  return new lent.OutboxError({ reason: 'damaged', what: `The outbox cannot be read: ${why}`, url });
}
