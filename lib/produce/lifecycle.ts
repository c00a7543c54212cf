import {
  AsyncSubject,
  BehaviorSubject,
  endWith,
  first,
  ignoreElements,
  map,
  merge,
  noop,
  of,
  Subject,
  type Observable,
} from 'rxjs';
import { DurableStreamError } from '../errors/durable-stream-error.js';
import { errorMessage } from '../util/error-message.js';
import { ProducerClosedError } from './producer-errors.js';

/** Where a producer stands: `open` → `finishing` → `finished`, or `failed` / `aborted` from either. */
export type ProducerState = 'open' | 'finishing' | 'finished' | 'failed' | 'aborted';

/**
 * A producer's lifecycle, what waits on it, and what it reports: `flush()`
 * waits for the acknowledged count to reach its mark, `finish()` for the
 * end; both fail with the error that stopped the producer, if it stops
 * otherwise. `errors$` tells errors worth knowing, and completes when the
 * producer stops.
 */
export class ProducerLifecycle {
  private current: ProducerState = 'open';
  // Fields set by the constructor or later are `declare`d: a bundle then carries no definition of each (size).
  declare private error: DurableStreamError | undefined;
  declare private readonly url: string;
  declare private readonly producerId: string;
  private readonly errors = new Subject<DurableStreamError>();
  /** The error that stopped the producer, refused values of `next()`, a failed source. Completes when the producer stops. */
  readonly errors$: Observable<DurableStreamError> = this.errors.asObservable();
  /** Messages acknowledged so far; completes when the producer finishes, fails when it fails or is aborted. */
  private readonly progress = new BehaviorSubject<number>(0);
  /** Messages saved in the outbox so far (in append order), likewise. */
  private readonly savedProgress = new BehaviorSubject<number>(0);
  private readonly stops = new AsyncSubject<void>();
  /** Emits (and completes) when the producer stops, however it stops; at once after that. */
  readonly stopped$: Observable<void> = this.stops.asObservable();

  constructor(url: string, producerId: string) {
    this.url = url;
    this.producerId = producerId;
  }

  get state(): ProducerState {
    return this.current;
  }

  get isStopped(): boolean {
    return this.current !== 'open' && this.current !== 'finishing';
  }

  /** `open` → `finishing`; false when it was not open. */
  beginFinish(): boolean {
    if (this.current !== 'open') return false;
    this.current = 'finishing';
    return true;
  }

  /** The acknowledged count moved. */
  acknowledged(count: number): void {
    this.progress.next(count);
  }

  /** Messages saved in the outbox so far. */
  get savedCount(): number {
    return this.savedProgress.value;
  }

  /** The saved count moved. */
  saved(count: number): void {
    if (count > this.savedProgress.value) this.savedProgress.next(count);
  }

  /** Acknowledged and saved progress: emits on every move, until the producer stops. */
  get moves$(): Observable<unknown> {
    return merge(this.progress, this.savedProgress);
  }

  /**
   * Emits once (then completes) when the acknowledged count (`saved`: the
   * saved count), `count` now, reaches `target()`; fails if the producer stops first.
   */
  reached(target: () => number, count: number, saved = false): Observable<void> {
    if (count >= target()) return of(undefined);
    return (saved ? this.savedProgress : this.progress).pipe(
      first((reached) => reached >= target()),
      map(noop),
    );
  }

  /** Emits once (then completes) when the producer has finished; fails if it stops otherwise. */
  finished(): Observable<void> {
    return this.progress.pipe(ignoreElements(), endWith(undefined));
  }

  /** Reports an error worth knowing that does not stop the producer (anything not the SDK's is wrapped). */
  report(error: unknown): void {
    this.errors.next(this.asSdkError(error));
  }

  /** Reports `error` and stops the producer with it (once stopped, nothing). */
  fail(error: unknown): void {
    if (this.isStopped) return;
    const failure = this.asSdkError(error);
    this.errors.next(failure);
    this.stop('failed', failure);
  }

  /**
   * Stops the producer, finished (everything delivered), failed with
   * `failure`, or aborted; once stopped, nothing. Whatever ends on
   * {@link stopped$} (the pipeline, aborting what is in flight) ends before
   * anyone waiting on the producer is told.
   */
  stop(state: 'finished' | 'failed' | 'aborted', failure?: DurableStreamError): void {
    if (this.isStopped) return;
    this.current = state;
    this.error = failure;
    this.stops.next();
    this.stops.complete();
    for (const progress of [this.progress, this.savedProgress])
      if (state === 'finished') progress.complete();
      else progress.error(failure ?? this.closedError());
    this.errors.complete();
  }

  /** Why an append (or `what`) is refused now: the producer is finishing or stopped; `cause` is its failure. */
  closedError(what?: string): ProducerClosedError {
    const { current } = this;
    const reason = current === 'failed' || current === 'aborted' ? current : 'finished';
    return new ProducerClosedError({ url: this.url, producerId: this.producerId, reason, what, cause: this.error });
  }

  private asSdkError(error: unknown): DurableStreamError {
    if (error instanceof DurableStreamError) return error;
    return new DurableStreamError('PRODUCER_FAILED', `Producer failed: ${errorMessage(error)}`, {
      url: this.url,
      cause: error,
      hint: 'An unexpected error; please report it',
    });
  }
}
