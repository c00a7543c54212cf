import { asyncScheduler, defer, map, ReplaySubject, throwError, type Observable, type Observer } from 'rxjs';
import type { DurableStreamError } from '../errors/durable-stream-error.js';
import type { CloseResult } from '../operations/append.js';
import type { StreamContext } from '../http/stream-context.js';
import { AdmittedValues, type Admission } from './admitted-values.js';
import type { ProducerAck } from './deliver.js';
import { ProducerLifecycle } from './lifecycle.js';
import { ProducerSourceError } from './producer-errors.js';
import { resolveProducerOptions, type ProducerOptions, type ResolvedProducerOptions } from './producer-options.js';
import type { ProducerStatus } from './producer-status.js';
import { startLazily, type LazyStart } from './start-lazily.js';
import type { BatchSender } from './send-batch.js';

export type { ProducerAck } from './deliver.js';

/**
 * An exactly-once producer for one stream (PROTOCOL.md 5.2.1), made with
 * `idempotentProducer(stream, id, options)`. Appends are fire-and-forget: values are
 * batched (by linger time, count and bytes), numbered (epoch, seq) and sent
 * with up to `maxInFlight` batches on the wire. The server deduplicates by
 * (producer id, epoch, seq), so every retry is safe: each value is written
 * once, in append order, without gaps, or the producer stops with an error
 * and hands back what it did not deliver.
 *
 * It is an RxJS Observer: `source$.subscribe(producer)` appends every value,
 * and the source's completion delivers everything and finishes the producer.
 *
 * The pipeline: a `BatchBuilder` admits values and seals batches (by
 * count and bytes, and when `lingered`, flushed or closed) onto its
 * `batches$`; `deliverBatches` takes them, `maxInFlight` at once, through
 * the `Sequencer` to the server, and emits each with its
 * acknowledgement: `acks$` is what it emits. This class keeps the API and
 * the lifecycle (`ProducerLifecycle`), and wires the parts.
 */
export class IdempotentProducer<T = unknown> implements Observer<T> {
  // Fields set by the constructor or later are `declare`d: a bundle then carries no definition of each (size).
  /** Every acknowledged batch, in the order responses arrive. Completes when the producer stops. */
  declare readonly acks$: Observable<ProducerAck>;
  /** Errors worth knowing: the one that stopped the producer, refused values of `next()`, a failed source. */
  declare readonly errors$: Observable<DurableStreamError>;
  /** The producer's id (`Producer-Id`), as given to `idempotentProducer()`. */
  declare readonly producerId: string;
  /** The stream's URL. */
  declare readonly url: string;

  declare private readonly options: ResolvedProducerOptions;
  /** The values appended until the batch builder (in the running code) takes them over, and the counts. */
  declare private readonly values: AdmittedValues;
  /** Its running part, whose code is a lazy chunk. */
  declare private readonly running: LazyStart;
  declare private readonly lifecycle: ProducerLifecycle;
  /** Where deliveries stand (`delivered`, `sending`, `offline`, `saved`), values pending: now, then each change, until it stops. */
  declare readonly status$: Observable<ProducerStatus>;

  /** Emits (and replays) once the content type is needed (the first append, or at once when given): the HEAD goes then, if needed. */
  private readonly framingNeeded = new ReplaySubject<void>(1);
  private framingAsked = false;
  declare private unsent: readonly unknown[] | undefined;
  /** Set once closeStream() is called (a second call shares its outcome); its result once acknowledged. */
  declare private closingStream: { result?: CloseResult } | undefined;

  /**
   * @internal Made by `idempotentProducer(stream, id, options)`; `send` is
   * the HTTP sender, or a test's (specs run the pipeline without I/O).
   */
  constructor(context: StreamContext, producerId: string, options: ProducerOptions = {}, send?: BatchSender) {
    const resolved = (this.options = resolveProducerOptions(producerId, options, context.url));
    this.producerId = producerId;
    this.url = context.url;
    this.lifecycle = new ProducerLifecycle(this.url, producerId);
    this.errors$ = this.lifecycle.errors$;
    if (resolved.onError) this.errors$.subscribe(resolved.onError);
    const scheduler = context.scheduler ?? asyncScheduler;
    const values = (this.values = new AdmittedValues(resolved, this.url, producerId, () => scheduler.now()));
    // A content type known now frames values at once (once the builder runs, even while an outbox opens: into
    // bodies, not one by one).
    const known = resolved.contentType ?? context.contentType.value;
    if (known) values.frame(known);
    const running = (this.running = startLazily({
      context,
      options: resolved,
      values,
      lifecycle: this.lifecycle,
      send,
      framingNeeded: this.framingNeeded,
      handedBack: (unsent) => (this.unsent = unsent),
      closed: (finalOffset) => {
        if (this.closingStream) this.closingStream.result = { finalOffset };
      },
    }));
    this.acks$ = running.acks$;
    this.status$ = running.status$;
  }

  /**
   * The epoch batches are sent with (changes with `restart()` or an auto-claim, once in-flight batches settle; in a
   * browser, not before the producer's code has loaded, its first moments).
   */
  get epoch(): number {
    return this.running.sequencer()?.epoch ?? this.options.epoch;
  }

  /** The seq the next batch will be sent with. */
  get nextSeq(): number {
    return this.running.sequencer()?.nextSeq ?? 0;
  }

  /** Messages appended and not yet acknowledged (waiting, batched or in flight). */
  get pendingCount(): number {
    return this.admission.pendingCount;
  }

  /** Bytes appended and not yet acknowledged. */
  get pendingBytes(): number {
    return this.admission.pendingBytes;
  }

  /** Batches being sent (or waiting for their turn on a gap or an epoch claim). */
  get inFlightCount(): number {
    // Every sealed batch is delivered once, and delivery keeps all its slots busy while batches wait.
    return this.lifecycle.isStopped ? 0 : Math.min(this.options.maxInFlight, this.admission.sealedCount);
  }

  /**
   * Appends one value (fire-and-forget). On a JSON stream it is serialized
   * now and stored as one message (arrays too); on other streams it must be
   * a string or a Uint8Array. Throws `ProducerBufferFullError` when the
   * buffer limits are reached, `ProducerClosedError` once the producer is
   * finishing or stopped, `InvalidArgumentError` for a value it cannot send.
   */
  append(value: T): void {
    this.admit(value, true);
  }

  /** Like {@link append}, but answers false instead of throwing when the buffer is full. */
  tryAppend(value: T): boolean {
    return this.admit(value, false);
  }

  /** Observer: appends the value. A value that cannot be appended is reported on `errors$`, and the producer finishes. */
  next(value: T): void {
    const { state } = this.lifecycle;
    if (state !== 'open')
      return this.lifecycle.report(
        this.lifecycle.closedError(`Producer '${this.producerId}' is ${state}: a value from its source was dropped`),
      );
    try {
      this.admit(value, true);
    } catch (error) {
      this.lifecycle.report(error);
      this.beginFinish();
    }
  }

  /** Observer: the source failed. Reported on `errors$` as a `ProducerSourceError`; what came before is delivered, then the producer finishes. */
  error(error: unknown): void {
    this.lifecycle.report(new ProducerSourceError({ url: this.url, producerId: this.producerId, cause: error }));
    this.beginFinish();
  }

  /** Observer: the source completed. As {@link finish}: delivers everything, then stops the producer (the stream stays open). */
  complete(): void {
    this.beginFinish();
  }

  /**
   * Sends what is batched now and emits once (then completes) when every
   * value appended before the subscription is acknowledged; fails with the
   * error that stopped the producer, if one does first. Cold.
   */
  flush(): Observable<void> {
    return defer(() => this.lifecycle.reached(this.admission.mark(), this.admission.settledCount));
  }

  /**
   * Emits once (then completes) when every value appended before the subscription is saved in the outbox (the open
   * batch sealed at once): from then on they survive this process. Without an outbox, once acknowledged, as
   * {@link flush}. Fails with the error that stopped the producer, if one does first. Cold.
   */
  saved(): Observable<void> {
    if (!this.options.outbox) return this.flush();
    return defer(() => this.lifecycle.reached(this.admission.mark(), this.lifecycle.savedCount, true));
  }

  /** Delivers everything appended, then stops the producer; the stream stays open ({@link closeStream} ends it). Emits once when done. Cold. */
  finish(): Observable<void> {
    return defer(() => {
      this.beginFinish();
      return this.lifecycle.finished();
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
      if (this.lifecycle.state === 'open') {
        // Checked first: a last value that cannot be sent changes nothing.
        const final = finalValue === undefined ? null : this.admission.encode(finalValue);
        // It goes in its batch once the content type is known.
        if (final) this.needFraming();
        this.lifecycle.beginFinish();
        this.admission.end(final);
      } else if (this.closingStream === undefined) {
        const what =
          `closeStream() needs an open producer; producer '${this.producerId}' is ${this.lifecycle.state}` +
          ' (finish(), complete() or abort() came first)';
        return throwError(() => this.lifecycle.closedError(what));
      }
      const closing = (this.closingStream ??= {});
      return this.lifecycle.finished().pipe(map(() => closing.result ?? { finalOffset: '' }));
    });
  }

  /**
   * Starts a new session: the next epoch, from seq 0. Batches already on
   * the wire settle first; whatever is not yet acknowledged then is sent
   * under the new epoch, in order.
   */
  restart(): void {
    if (this.lifecycle.isStopped) throw this.lifecycle.closedError();
    this.running.restart();
  }

  /**
   * Stops at once, dropping what is pending (in-flight requests aborted; {@link unsentValues} has the values); the
   * stream stays open. With an outbox, what it holds stays there, for the next producer on it to deliver.
   */
  abort(): void {
    this.lifecycle.stop('aborted');
  }

  /**
   * Every value not acknowledged (with an outbox: nor saved in it, since the
   * next producer on it delivers those), in append order, once the producer has
   * given up on them (failed or aborted; before that, none): to persist,
   * or to append again with a new producer. Each is as the stream would
   * have stored it: on a JSON stream parsed back from its JSON, on other
   * streams the string or the bytes.
   */
  unsentValues(): readonly unknown[] {
    const { state } = this.lifecycle;
    if (state !== 'failed' && state !== 'aborted') return [];
    return (this.unsent ??= this.admission.unsent(this.options.outbox !== undefined));
  }

  private admit(value: T, throwIfFull: boolean): boolean {
    if (this.lifecycle.state !== 'open') throw this.lifecycle.closedError();
    // The first append learns the content type: at once when given or known to
    // the handle, else with a HEAD; values appended meanwhile wait, encoded one by one (`AdmittedValues`).
    if (!this.framingAsked) this.needFraming();
    return this.admission.add(value, throwIfFull);
  }

  /**
   * Asks once for the content type; the builder writes the values that
   * waited for it. A failed HEAD, or a waiting value the stream cannot
   * take, stops the producer.
   */
  private needFraming(): void {
    this.framingAsked = true;
    this.framingNeeded.next();
  }

  /** The batch builder once the running code has loaded; the values admitted so far before. */
  private get admission(): Admission {
    return this.running.builder() ?? this.values;
  }

  private beginFinish(): void {
    // Seals the open batch at once; after the last batch, delivery completes.
    if (this.lifecycle.beginFinish()) this.admission.end();
  }
}
