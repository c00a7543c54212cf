import {
  asyncScheduler,
  Observable,
  type Observer,
  type SchedulerLike,
  type Subscriber,
  type Unsubscribable,
} from 'rxjs';
import type { Checkpoint, Offset } from '../../protocol/offset.js';
import type { StreamPosition } from '../../protocol/position.js';
import type { ConnectionState } from '../connection-state.js';
import type { ReadStep } from '../read-step.js';
import { joinDecision, tellsSomethingNew } from './join-decision.js';
import { NOW, type TailSnapshot } from './tail-snapshot.js';

/** Where a read that caught up on its own requests stands, and has told its subscribers (it joins the tail at once). */
export interface CaughtUp {
  readonly caughtUp: StreamPosition;
}

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

/** What a live read that may join a shared tail is made of; `C`: what it emits of each step. */
export interface SharedReadConfig<P, C> {
  /** The read's own requests from a checkpoint; taken up to its first up-to-date (or EOF) step. */
  readonly catchUp: (from: Checkpoint) => Observable<ReadStep<P>>;
  /** The shared tail to join; started at `from` when none runs. */
  readonly tail: (from: Checkpoint) => Observable<TailSnapshot<P>>;
  /** A payload without data, and how to tell one. */
  readonly empty: P;
  readonly isEmpty: (payload: P) => boolean;
  /** The wait after `rounds` rounds in a row that made no progress (a server whose offsets contradict each other), ms. */
  readonly backoff: (rounds: number) => number;
  readonly scheduler: SchedulerLike | undefined;
  /** Told the tail's connection states while this read takes the tail's steps. */
  readonly tell?: (state: ConnectionState) => void;
  /** What the read emits of a step (a JSON batch, a chunk): made here, so that no operator after the reader does it. */
  project(step: ReadStep<P>): C;
}

/**
 * A live read that shares its tail: it catches up on its own requests until
 * up to date, then joins the shared tail at exactly its offset. When the
 * tail is ahead of it or straddles its offset, it catches up again on its
 * own from where it stands and tries again; nothing is skipped and nothing
 * repeated. Rounds that move nothing are spaced by the retry backoff, so a
 * server whose offsets contradict each other is polled, not spun on.
 * Leaving (unsubscribing, or an error in the subscriber's own code) drops
 * this read's share of the tail only. A read that already caught up (and
 * told its subscribers so) starts with `{ caughtUp: position }`: it joins
 * at once, without a request to learn what it knows.
 *
 * Every reader of a fan-out runs this for as long as it reads, so it is one
 * object ({@link SharedReader}) rather than a chain of operators: the rounds
 * `repeat`ed, each a `concat` of its own catch-up and its share of the tail,
 * as the code before it was written, cost about 5 KB of subscribers and closures per reader.
 */
export function sharedRead<P, C>(start: Checkpoint | CaughtUp, config: SharedReadConfig<P, C>): Observable<C> {
  return new Observable<C>((subscriber) => {
    const reader = new SharedReader(start, config, subscriber);
    reader.round();
    return reader;
  });
}

/** What a round of a {@link SharedReader} is doing: its own catch-up, or taking the tail. */
class Part<P, C> implements Observer<ReadStep<P> | TailSnapshot<P>> {
  /** Before the first snapshot of the tail it takes. */
  first = true;
  constructor(
    private readonly reader: SharedReader<P, C>,
    readonly own: boolean,
  ) {}
  next(value: ReadStep<P> | TailSnapshot<P>): void {
    if (this.reader.part !== this) return;
    if (this.own) this.reader.ownStep(value as ReadStep<P>);
    else this.reader.snapshot(value as TailSnapshot<P>, this);
  }
  error(error: unknown): void {
    if (this.reader.part === this) this.reader.subscriber.error(error);
  }
  complete(): void {
    if (this.reader.part !== this) return;
    if (this.own) this.reader.join();
    else this.reader.roundDone();
  }
}

/**
 * One reader of {@link sharedRead}: where it stands, and the part of the
 * round it is in (its subscription, or the wait before the next round).
 * A part's notifications count only while it is the reader's current one.
 */
class SharedReader<P, C> implements Unsubscribable {
  /** Where the read stands: its own copy, changed in place at every step. */
  private readonly at: Mutable<StreamPosition>;
  private started: boolean;
  private idleRounds = 0;
  /** A read that caught up before it got here joins at once; one that did not catches up first. */
  private joinFirst: boolean;
  /** Where the current round started. */
  private before: Offset;
  part: Part<P, C> | undefined;
  private running: Unsubscribable | undefined;

  constructor(
    start: Checkpoint | CaughtUp,
    private readonly config: SharedReadConfig<P, C>,
    readonly subscriber: Subscriber<C>,
  ) {
    const caughtUp = 'caughtUp' in start;
    this.at = caughtUp ? { ...start.caughtUp } : { ...start, upToDate: false, closed: false };
    this.started = this.joinFirst = caughtUp;
    this.before = this.at.offset;
  }

  /** A round: its own catch-up (none from `now`, or when it caught up already), then its share of the tail. */
  round(): void {
    if (this.subscriber.closed) return;
    this.before = this.at.offset;
    if (this.at.offset === NOW || this.joinFirst) {
      this.joinFirst = false;
      return this.join();
    }
    this.run(this.config.catchUp(this.checkpoint()), new Part(this, true));
  }

  /** A step of its own catch-up, taken up to the first up-to-date (or EOF) one; then it joins. */
  ownStep(step: ReadStep<P>): void {
    if (this.advance(step)) this.subscriber.next(this.config.project(step));
    if (step.upToDate || step.closed) this.join();
  }

  join(): void {
    if (this.subscriber.closed) return;
    if (this.at.closed) return this.roundDone();
    this.run(this.config.tail(this.checkpoint()), new Part(this, false));
  }

  /** A snapshot of the tail: decided, and its step delivered when it is this reader's next; a rejoin ends the round. */
  snapshot(snapshot: TailSnapshot<P>, part: Part<P, C>): void {
    const { config } = this;
    const decision = joinDecision(this.at, snapshot, part.first, config.empty, config.isEmpty);
    part.first = false;
    if (decision.kind === 'rejoin') return this.roundDone();
    // Joined (or about to be): where the tail's connection stands is where this reader's does.
    if (snapshot.state) config.tell?.(snapshot.state);
    if (decision.kind === 'skip' || !this.advance(decision.step)) return;
    this.subscriber.next(config.project(decision.step));
    if (decision.step.closed) this.roundDone();
  }

  /** The round is over: the read ends at EOF, or goes on at once, or after a backoff when the round moved nothing. */
  roundDone(): void {
    this.leave();
    this.idleRounds = this.at.offset === this.before ? this.idleRounds + 1 : 0;
    if (this.at.closed) return this.subscriber.complete();
    if (this.idleRounds === 0) return this.round();
    const scheduler = this.config.scheduler ?? asyncScheduler;
    this.running = scheduler.schedule(() => this.round(), this.config.backoff(this.idleRounds));
  }

  /** Leaving: the current part's subscription, or the wait. */
  unsubscribe(): void {
    this.leave();
  }

  private run(source: Observable<ReadStep<P> | TailSnapshot<P>>, part: Part<P, C>): void {
    this.leave();
    this.part = part;
    const subscription = source.subscribe(part);
    // A part that ended while it was subscribed (a step at once that ended it) was left already.
    if (this.part === part) this.running = subscription;
    else subscription.unsubscribe();
  }

  private leave(): void {
    const { running } = this;
    this.part = this.running = undefined;
    running?.unsubscribe();
  }

  private checkpoint(): Checkpoint {
    const { at } = this;
    return at.cursor === undefined ? { offset: at.offset } : { offset: at.offset, cursor: at.cursor };
  }

  /** Moves the read to `step`; true when subscribers should hear of it (the first step always). */
  private advance(step: ReadStep<P>): boolean {
    const { at } = this;
    const news = !this.started || tellsSomethingNew(at, step, this.config.isEmpty);
    this.started = true;
    at.offset = step.offset;
    at.cursor = step.cursor ?? at.cursor;
    at.upToDate = step.upToDate;
    at.closed = step.closed;
    return news;
  }
}
