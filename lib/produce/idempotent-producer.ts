import {
  BehaviorSubject,
  catchError,
  concat,
  defer,
  EMPTY,
  filter,
  finalize,
  first,
  last,
  map,
  mergeMap,
  of,
  queueScheduler,
  shareReplay,
  Subject,
  switchMap,
  take,
  takeUntil,
  tap,
  throwError,
  Observable,
  type Observer,
  type Subscription,
} from 'rxjs';
import { DurableStreamError } from '../errors/durable-stream-error.js';
import { InvalidArgumentError } from '../errors/client-errors.js';
import { SequenceGapError, StaleEpochError, StreamClosedError } from '../errors/http-errors.js';
import type { CloseResult } from '../operations/append.js';
import { framingOf, type Framing } from '../protocol/content-type.js';
import type { StreamContext } from '../http/stream-context.js';
import { batchEntries } from './batch-entries.js';
import { itemBytes, numberBatches, type Batch, type BatchContent, type Item } from './batch.js';
import { batchBody, BodyWriter } from './body-writer.js';
import { dataBytes, encodeValue, valueData, type Entry } from './encode.js';
import { ProducerBufferFullError, ProducerClosedError, ProducerSourceError } from './producer-errors.js';
import { resolveProducerOptions, type ProducerOptions, type ResolvedProducerOptions } from './producer-options.js';
import { httpBatchSender, type BatchRequest, type BatchResponse, type BatchSender } from './send-batch.js';
import { Sequencer, type Setback, type Turn } from './sequencer.js';
import { errorMessage } from '../util/error-message.js';

/** One acknowledged batch, as `acks$` reports it. */
export interface ProducerAck {
  readonly epoch: number;
  readonly seq: number;
  /** Messages in the batch. */
  readonly count: number;
  /** The stream's tail after the batch; undefined when the server did not say (duplicates). */
  readonly nextOffset: string | undefined;
  /** The server already had this batch: an earlier attempt landed though its response was lost. */
  readonly duplicate: boolean;
}

/** A numbered batch, encoded as soon as the framing is known. */
interface Sealed {
  readonly ordinal: number;
  readonly count: number;
  readonly endCount: number;
  /** Bytes of the values sealed up to and including this batch: its acknowledgement settles those. */
  readonly endBytes: number;
  readonly close: boolean;
  /** The request body (undefined for close-only), once built. */
  readonly body: Uint8Array | undefined;
  /** The values, kept only while the framing is unknown and the body cannot be built. */
  readonly entries: readonly Entry[] | undefined;
}

/** A batch ready to send: what the delivery loop keeps (not the values). */
interface Parcel extends Omit<Sealed, 'entries'> {
  readonly contentType: string;
}

type Lifecycle = 'open' | 'closing' | 'closed' | 'failed' | 'detached';
type SendTurn = Extract<Turn, { kind: 'send' }>;

/**
 * An exactly-once producer for one stream (PROTOCOL.md 5.2.1), made with
 * `stream.producer(id, options)`. Appends are fire-and-forget: values are
 * batched (by linger time, count and bytes), numbered (epoch, seq) and sent
 * with up to `maxInFlight` batches on the wire. The server deduplicates by
 * (producer id, epoch, seq), so every retry is safe: each value is written
 * once, in append order, without gaps, or the producer stops with an error.
 *
 * It is an RxJS Observer: `source$.subscribe(producer)` appends every value,
 * and the source's completion flushes and closes the producer.
 *
 * Pipeline: a Subject of encoded entries → batchEntries (linger, count,
 * bytes, flush) → numberBatches → mergeMap(deliver, maxInFlight).
 * `deliver` asks the {@link Sequencer} for its (epoch, seq), sends, and on a
 * sequence gap or a claimed epoch waits for the state to change and tries
 * again.
 */
export class IdempotentProducer<T = unknown> implements Observer<T> {
  /** Every acknowledged batch, in the order responses arrive. Completes when the producer stops. */
  readonly acks$: Observable<ProducerAck>;
  /** Errors worth knowing: the one that stopped the producer, refused values of `next()`, a failed source. */
  readonly errors$: Observable<DurableStreamError>;
  readonly producerId: string;
  /** The stream's URL. */
  readonly url: string;

  private readonly options: ResolvedProducerOptions;
  private readonly sequencer: Sequencer;
  private readonly send: BatchSender;
  private readonly input = new Subject<Item>();
  private readonly flushes = new Subject<void>();
  /** Pulses after every change of state; waiters re-read the state. */
  private readonly changes = new BehaviorSubject<void>(undefined);
  private readonly acks = new Subject<ProducerAck>();
  private readonly errors = new Subject<DurableStreamError>();
  /** Emits when the producer stops: ends a content-type lookup still out. */
  private readonly stopped = new Subject<void>();
  private readonly contentType$: Observable<string>;
  private readonly pipeline: Subscription;
  private framing: Framing | undefined;
  /** The open batch's body, written value by value once the framing is known. */
  private writer: BodyWriter | undefined;
  /** The open batch holds values encoded before the framing was known: it takes no written ones. */
  private provisional = false;
  /** The stream's content type, once given or learned. */
  private contentType: string | undefined;
  private lookup: Subscription | undefined;
  private lifecycle: Lifecycle = 'open';
  private failure: DurableStreamError | undefined;
  /** `closeStream()`'s last value ([] for none); set once it was called. */
  private finalEntries: Entry[] | undefined;
  private closeResult: CloseResult | undefined;
  private appended = 0;
  /** Bytes of the values appended, staged texts not yet counted (see `BodyWriter`). */
  private appendedBytes = 0;
  /** Bytes of the batches sealed so far: the running total each batch's acknowledgement settles. */
  private sealedBytes = 0;
  /** Bytes of the open body the batching stage has been told of. */
  private told = 0;
  private acknowledged = 0;
  private acknowledgedBytes = 0;
  private inFlight = 0;

  /**
   * Prefer `stream.producer()`. `send` replaces the HTTP sender (tests run
   * the pipeline without I/O with it).
   */
  constructor(context: StreamContext, producerId: string, options: ProducerOptions = {}, send?: BatchSender) {
    this.options = resolveProducerOptions(producerId, options, context.url);
    this.producerId = producerId;
    this.url = context.url;
    this.sequencer = new Sequencer(this.options.epoch);
    this.send = send ?? httpBatchSender(context, producerId, this.options.request);
    this.acks$ = this.acks.asObservable();
    this.errors$ = this.errors.asObservable();
    if (this.options.onError) this.errors.subscribe(this.options.onError);

    const given = this.options.contentType;
    // The producer's own headers and params (its credentials) reach the HEAD too.
    const { headers, params } = this.options.request;
    this.contentType$ = (given ? of(given) : defer(() => context.contentType({ headers, params }))).pipe(
      // Not kept alive by shareReplay past the producer's end (detach() aborts it).
      takeUntil(this.stopped),
      tap((contentType) => {
        this.contentType = contentType;
        this.framing = framingOf(contentType);
      }),
      // Learned once; a failed HEAD is not kept, the next batch asks again.
      shareReplay({ bufferSize: 1, refCount: false }),
    );

    const { lingerMs, maxBatchItems, maxBatchBytes, maxInFlight } = this.options;
    const batches$ = concat(
      this.input.pipe(
        batchEntries({ lingerMs, maxItems: maxBatchItems, maxBytes: maxBatchBytes }, itemBytes, this.flushes),
        map((entries): BatchContent => ({ entries, close: false })),
      ),
      // After the last appended batch: closeStream()'s request, if it was called.
      defer(() => (this.finalEntries ? of<BatchContent>({ entries: this.finalEntries, close: true }) : EMPTY)),
    );
    this.pipeline = batches$
      .pipe(
        numberBatches(),
        map((batch) => this.seal(batch)),
        mergeMap((sealed) => this.deliver(sealed), maxInFlight),
      )
      .subscribe({
        error: (error: unknown) => this.fail(error),
        complete: () => this.stop('closed'),
      });
  }

  /** The epoch batches are sent with (changes with `restart()` or an auto-claim, once in-flight batches settle). */
  get epoch(): number {
    return this.sequencer.epoch;
  }

  /** The seq the next batch will be sent with. */
  get nextSeq(): number {
    return this.sequencer.nextSeq;
  }

  /** Messages appended and not yet acknowledged (waiting, batched or in flight). */
  get pendingCount(): number {
    return this.appended - this.acknowledged;
  }

  /** Bytes appended and not yet acknowledged. */
  get pendingBytes(): number {
    return this.countedPendingBytes + (this.writer?.stagedBytes() ?? 0);
  }

  /** Pending bytes counted so far: staged texts, not yet encoded, are not among them. */
  private get countedPendingBytes(): number {
    return this.appendedBytes - this.acknowledgedBytes;
  }

  /** Batches being sent (or waiting for their turn on a gap or an epoch claim). */
  get inFlightCount(): number {
    return this.inFlight;
  }

  /**
   * Appends one value (fire-and-forget). On a JSON stream it is serialized
   * now and stored as one message (arrays too); on other streams it must be
   * a string or a Uint8Array. Throws `ProducerBufferFullError` when the
   * buffer limits are reached, `ProducerClosedError` once the producer is
   * closing or stopped, `InvalidArgumentError` for a value it cannot send.
   */
  append(value: T): void {
    this.admit(value, true);
  }

  /** Like {@link append}, but answers false instead of throwing when the buffer is full. */
  tryAppend(value: T): boolean {
    return this.admit(value, false);
  }

  /** Observer: appends the value. A value that cannot be appended is reported on `errors$`, and the producer closes. */
  next(value: T): void {
    if (this.lifecycle !== 'open') {
      this.report(this.closedError(`Producer '${this.producerId}' is ${this.lifecycle}: a value from its source was dropped`));
      return;
    }
    try {
      this.admit(value, true);
    } catch (error) {
      this.report(asSdkError(error, this.url));
      this.beginClose();
    }
  }

  /** Observer: the source failed. Reported on `errors$` as a `ProducerSourceError`; what came before is delivered, then the producer closes. */
  error(error: unknown): void {
    this.report(new ProducerSourceError({ url: this.url, producerId: this.producerId, cause: error }));
    this.beginClose();
  }

  /** Observer: the source completed. Delivers everything, then closes the producer (the stream stays open). */
  complete(): void {
    this.beginClose();
  }

  /**
   * Sends what is batched now and emits once (then completes) when every
   * value appended before the subscription is acknowledged; fails with the
   * error that stopped the producer, if one does first. Cold.
   */
  flush(): Observable<void> {
    return defer(() => {
      const target = this.appended;
      this.flushes.next();
      return this.until(() => this.acknowledged >= target);
    });
  }

  /** Delivers everything appended, then stops the producer; the stream stays open. Emits once when done. Cold. */
  close(): Observable<void> {
    return defer(() => {
      this.beginClose();
      return this.until(() => this.lifecycle === 'closed');
    });
  }

  /**
   * Delivers everything appended, then closes the stream (EOF) with one
   * last request carrying `finalValue` (if given) and `Stream-Closed: true`,
   * under the producer's (epoch, seq): appending the value and closing are
   * atomic, and a retry is answered as a duplicate. Emits the final offset.
   * Cold; a second call shares the first one's outcome.
   */
  closeStream(finalValue?: T): Observable<CloseResult> {
    return defer(() => {
      if (this.lifecycle === 'open') {
        const entries = finalValue === undefined ? [] : [encodeValue(finalValue, this.framing, this.url)];
        for (const entry of entries) this.count(entry);
        this.finalEntries = entries;
        this.beginClose();
      } else if (this.finalEntries === undefined) {
        return throwError(() =>
          this.closedError(`closeStream() needs an open producer; producer '${this.producerId}' is ${this.lifecycle} (close(), complete() or detach() came first)`),
        );
      }
      return this.until(() => this.lifecycle === 'closed').pipe(map(() => this.closeResult ?? { finalOffset: '' }));
    });
  }

  /**
   * Starts a new session: the next epoch, from seq 0. Batches already on
   * the wire settle first; whatever is not yet acknowledged then is sent
   * under the new epoch, in order.
   */
  restart(): void {
    if (this.lifecycle !== 'open' && this.lifecycle !== 'closing') throw this.closedError();
    this.sequencer.restart();
    this.pulse();
  }

  /** Stops at once without sending what is pending (in-flight requests are aborted); the stream stays open. */
  detach(): void {
    if (this.isStopped()) return;
    this.pipeline.unsubscribe();
    this.stop('detached');
  }

  private admit(value: T, throwIfFull: boolean): boolean {
    if (this.lifecycle !== 'open') throw this.closedError();
    const { maxBufferedMessages, maxBufferedBytes } = this.options;
    if (this.appended - this.acknowledged >= maxBufferedMessages) return this.full(throwIfFull, 'maxBufferedMessages', maxBufferedMessages);
    // The first append learns the content type: at once when given or known to
    // the handle, else with a HEAD, values appended meanwhile being encoded
    // provisionally. A failed HEAD surfaces with the first batch, which asks again.
    if (!this.framing) this.lookup ??= this.contentType$.subscribe({ error: () => undefined });
    const framing = this.framing;
    if (framing === undefined || this.provisional) return this.admitEntry(encodeValue(value, framing, this.url), throwIfFull);
    const data = valueData(value, framing, this.url);
    if (data.length === 0 && framing === 'bytes') throw emptyAppend(this.url);
    // Sized exactly only when it might be too large: a text is at most 3 bytes per UTF-16 unit.
    if ((typeof data === 'string' ? data.length * 3 : data.byteLength) > maxBufferedBytes) {
      const bytes = dataBytes(data);
      if (bytes > maxBufferedBytes) throw tooLarge(bytes, maxBufferedBytes, this.url);
    }
    const writer = (this.writer ??= new BodyWriter(framing));
    if (typeof data === 'string' && writer.stages(data) && this.mayStage(writer, data.length)) {
      writer.stage(data);
    } else {
      // Exact sizes needed: the staged texts are counted, then this value.
      this.appendedBytes += writer.settle();
      const bytes = writer.write(data);
      if (this.countedPendingBytes + bytes > maxBufferedBytes) {
        writer.undo();
        return this.full(throwIfFull, 'maxBufferedBytes', maxBufferedBytes);
      }
      this.appendedBytes += bytes;
    }
    this.appended++;
    // The batching stage learns of the open body's bytes as they are counted (nothing, while staging).
    const uncounted = writer.bytes - this.told;
    this.told = writer.bytes;
    this.input.next(uncounted);
    return true;
  }

  /**
   * Whether a text may wait to be encoded with its batch: even at three
   * bytes per UTF-16 unit, with the texts already waiting, it can neither
   * close the batch by its byte budget nor overflow the buffer.
   */
  private mayStage(writer: BodyWriter, units: number): boolean {
    const most = (writer.stagedLength + units) * 3;
    return writer.bytes + most < this.options.maxBatchBytes && this.countedPendingBytes + most <= this.options.maxBufferedBytes;
  }

  /** Appends a value encoded on its own: before the framing is known, and until that batch closes. */
  private admitEntry(entry: Entry, throwIfFull: boolean): boolean {
    const { maxBufferedBytes } = this.options;
    // Alone in a batch it would make an empty POST, which the server refuses (400) and the producer would stop.
    if (entry.bytes === 0 && this.framing === 'bytes') throw emptyAppend(this.url);
    if (entry.bytes > maxBufferedBytes) throw tooLarge(entry.bytes, maxBufferedBytes, this.url);
    if (this.pendingBytes + entry.bytes > maxBufferedBytes) return this.full(throwIfFull, 'maxBufferedBytes', maxBufferedBytes);
    this.count(entry);
    this.provisional = true;
    this.input.next(entry);
    return true;
  }

  private count(entry: Entry): void {
    this.appended++;
    this.appendedBytes += entry.bytes;
  }

  private full(throwIfFull: boolean, limit: 'maxBufferedMessages' | 'maxBufferedBytes', max: number): false {
    if (!throwIfFull) return false;
    throw new ProducerBufferFullError({
      url: this.url,
      producerId: this.producerId,
      limit,
      max,
      pendingMessages: this.pendingCount,
      pendingBytes: this.pendingBytes,
    });
  }

  /**
   * Encodes a batch the moment it closes when the framing is known, so its
   * values can go at once: a batch waiting for a slot holds only its body
   * (bytes, off the JS heap), and the values die young instead of being
   * promoted to swell V8's old generation until a full collection.
   */
  private seal(batch: Batch): Sealed {
    const { ordinal, endCount, close, entries } = batch;
    const count = entries.length;
    if (count > 0 && typeof entries[0] === 'number') {
      // Written at append: the open body holds exactly this batch's values.
      const writer = this.writer!;
      if (writer.count !== count) throw new Error(`batch ${ordinal} has ${count} values but its body ${writer.count}`);
      this.appendedBytes += writer.settle();
      this.sealedBytes += writer.bytes;
      this.told = 0;
      return { ordinal, count, endCount, endBytes: this.sealedBytes, close, body: writer.take(), entries: undefined };
    }
    // Values encoded on their own (or none): the next batch may be written.
    this.provisional = false;
    const values = entries as readonly Entry[];
    for (const entry of values) this.sealedBytes += entry.bytes;
    const endBytes = this.sealedBytes;
    if (this.framing) return { ordinal, count, endCount, endBytes, close, body: batchBody(values, this.framing, this.url), entries: undefined };
    return { ordinal, count, endCount, endBytes, close, body: undefined, entries: values };
  }

  /** One batch, from its content type to its acknowledgement. Holds a mergeMap slot until then. */
  private deliver(sealed: Sealed): Observable<void> {
    return defer(() => {
      this.inFlight++;
      const { entries, ...rest } = sealed;
      const parcel = (contentType: string): Parcel => ({
        ...rest,
        body: entries ? batchBody(entries, framingOf(contentType), this.url) : rest.body,
        contentType,
      });
      // Once learned, the content type is at hand: no lookup to subscribe to.
      const known = this.contentType;
      const landed$ = known ? this.land(parcel(known)) : this.contentType$.pipe(take(1), switchMap((contentType) => this.land(parcel(contentType))));
      return landed$.pipe(finalize(() => this.inFlight--));
    });
  }

  /** Waits for the parcel's turn, then sends it; after a setback, waits and sends again. */
  private land(parcel: Parcel, setback?: Setback): Observable<void> {
    const act = (turn: Exclude<Turn, { kind: 'wait' }>): Observable<void> => {
      if (turn.kind === 'send') return this.attempt(parcel, turn);
      // Proved written by a later batch's acknowledgement.
      this.settle(parcel, { epoch: setback?.epoch ?? this.epoch, seq: setback?.seq ?? -1 }, { nextOffset: undefined, duplicate: true });
      return of(undefined);
    };
    return defer(() => {
      // Usually the turn has come already: no need to watch the state.
      const now = this.sequencer.turn(parcel.ordinal, setback);
      if (now.kind !== 'wait') return act(now);
      return this.changes.pipe(
        map(() => this.sequencer.turn(parcel.ordinal, setback)),
        first((turn): turn is Exclude<Turn, { kind: 'wait' }> => turn.kind !== 'wait'),
        switchMap(act),
      );
    });
  }

  private attempt(parcel: Parcel, turn: SendTurn): Observable<void> {
    const request: BatchRequest = { epoch: turn.epoch, seq: turn.seq, body: parcel.body, contentType: parcel.contentType, close: parcel.close };
    const outcome = this.send(request).pipe(
      // last(), not first(): unsubscribing before the exchange completes would abort its finished request.
      last(),
      map((response) => {
        this.sequencer.accepted(parcel.ordinal, turn.epoch);
        this.settle(parcel, turn, response);
      }),
      catchError((error: unknown) => this.land(parcel, this.setback(error, parcel, turn))),
    );
    return new Observable<void>((subscriber) => {
      this.sequencer.sent(parcel.ordinal);
      const subscription = outcome.subscribe(subscriber);
      // Only now, this request dispatched, may the next batch in line go: requests leave in order.
      this.pulse();
      return subscription;
    });
  }

  /** Classifies a failed attempt: a setback to wait out, or (thrown) the error that stops the producer. */
  private setback(error: unknown, parcel: Parcel, turn: SendTurn): Setback {
    if (error instanceof StaleEpochError && this.options.autoClaim) {
      const keepGoing = this.sequencer.fenced(turn.epoch, error.currentEpoch);
      this.pulse();
      if (keepGoing) return { kind: 'fenced', epoch: turn.epoch, seq: turn.seq };
      throw error;
    }
    // A gap is expected only while an earlier batch is unconfirmed (requests
    // overtake each other); otherwise the server lost our state: give up.
    if (error instanceof SequenceGapError && turn.predecessorsPending && error.expectedSeq < turn.seq) {
      this.sequencer.gap(parcel.ordinal);
      this.pulse();
      return { kind: 'gap', epoch: turn.epoch, seq: turn.seq };
    }
    // After closeStream(): a batch whose answer was lost is refused on retry by
    // the stream its successor closed (only the closing (epoch, seq) counts as
    // a duplicate, 5.2.1). It was written if that successor is acknowledged.
    if (error instanceof StreamClosedError && !parcel.close && this.finalEntries !== undefined) {
      if (this.sequencer.closedOut(parcel.ordinal)) {
        this.pulse();
        return { kind: 'closed', epoch: turn.epoch, seq: turn.seq };
      }
      throw error;
    }
    this.sequencer.failed();
    throw error;
  }

  private settle(parcel: Parcel, at: { epoch: number; seq: number }, response: BatchResponse): void {
    // An acknowledgement proves every earlier batch written too.
    if (parcel.endCount > this.acknowledged) {
      this.acknowledged = parcel.endCount;
      this.acknowledgedBytes = parcel.endBytes;
    }
    if (parcel.close) this.closeResult = { finalOffset: response.nextOffset ?? '' };
    this.acks.next({ epoch: at.epoch, seq: at.seq, count: parcel.count, nextOffset: response.nextOffset, duplicate: response.duplicate });
    this.pulse();
  }

  /** Emits once when `done()` holds; fails if the producer stops first. */
  private until(done: () => boolean): Observable<void> {
    return this.changes.pipe(
      filter(() => {
        if (done()) return true;
        if (this.lifecycle === 'failed' || this.lifecycle === 'detached') throw this.failure ?? this.closedError();
        return false;
      }),
      take(1),
    );
  }

  /**
   * Tells waiters the state changed. A pulse raised while waiters are being
   * told (a batch sent, so the next may go) is queued behind the current one
   * by the queue scheduler's trampoline, not nested: the waiters of a round
   * all see one state, and the stack stays flat with any maxInFlight.
   */
  private pulse(): void {
    queueScheduler.schedule(() => this.changes.next());
  }

  private beginClose(): void {
    if (this.lifecycle !== 'open') return;
    this.lifecycle = 'closing';
    // Ends the open batch at once and, after the last batch, sends closeStream()'s request.
    this.input.complete();
  }

  private fail(error: unknown): void {
    if (this.isStopped()) return;
    this.failure = asSdkError(error, this.url);
    this.report(this.failure);
    this.stop('failed');
  }

  private stop(lifecycle: 'closed' | 'failed' | 'detached'): void {
    this.lifecycle = lifecycle;
    this.stopped.next();
    this.acks.complete();
    this.errors.complete();
    this.pulse();
  }

  private isStopped(): boolean {
    return this.lifecycle === 'closed' || this.lifecycle === 'failed' || this.lifecycle === 'detached';
  }

  private report(error: DurableStreamError): void {
    this.errors.next(error);
  }

  private closedError(what?: string): ProducerClosedError {
    const reason = this.lifecycle === 'failed' ? 'failed' : this.lifecycle === 'detached' ? 'detached' : 'closed';
    return new ProducerClosedError({ url: this.url, producerId: this.producerId, reason, what, cause: this.failure });
  }
}

function emptyAppend(url: string): InvalidArgumentError {
  return new InvalidArgumentError('Cannot append empty data: the protocol rejects empty appends (use closeStream() to end a stream)', url);
}

function tooLarge(bytes: number, maxBufferedBytes: number, url: string): InvalidArgumentError {
  return new InvalidArgumentError(`a value of ${bytes} bytes can never fit maxBufferedBytes (${maxBufferedBytes})`, url);
}

function asSdkError(error: unknown, url: string): DurableStreamError {
  if (error instanceof DurableStreamError) return error;
  return new DurableStreamError('PRODUCER_FAILED', `Producer failed: ${errorMessage(error)}`, {
    url,
    cause: error,
    hint: 'An unexpected error; please report it',
  });
}
