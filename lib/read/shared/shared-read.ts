import {
  asyncScheduler,
  concat,
  defer,
  EMPTY,
  filter,
  of,
  repeat,
  takeWhile,
  tap,
  timer,
  type Observable,
  type SchedulerLike,
} from 'rxjs';
import type { Checkpoint } from '../../protocol/offset.js';
import type { StreamPosition } from '../../protocol/position.js';
import type { ConnectionState } from '../connection-state.js';
import type { ReadStep } from '../read-step.js';
import { joinDecision, tellsSomethingNew } from './join-decision.js';
import { takeTail } from './take-tail.js';
import { NOW, type TailSnapshot } from './tail-snapshot.js';

/** Where a read that caught up on its own requests stands, and has told its subscribers (it joins the tail at once). */
export interface CaughtUp {
  readonly caughtUp: StreamPosition;
}

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

/** What a live read that may join a shared tail is made of. */
export interface SharedReadConfig<P> {
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
 */
export function sharedRead<P>(start: Checkpoint | CaughtUp, config: SharedReadConfig<P>): Observable<ReadStep<P>> {
  const scheduler = config.scheduler ?? asyncScheduler;
  return defer(() => {
    const caughtUp = 'caughtUp' in start;
    // Where the read stands: its own copy, changed in place at every step (for every reader at every step of a fan-out).
    const at: Mutable<StreamPosition> = caughtUp ? { ...start.caughtUp } : { ...start, upToDate: false, closed: false };
    let started = caughtUp;
    let idleRounds = 0;
    // A read that caught up before it got here joins at once; one that did not catches up first.
    let joinFirst = caughtUp;
    const checkpoint = (): Checkpoint =>
      at.cursor === undefined ? { offset: at.offset } : { offset: at.offset, cursor: at.cursor };
    /** Moves the read to `step`; true when subscribers should hear of it (the first step always). */
    const advance = (step: ReadStep<P>): boolean => {
      const news = !started || tellsSomethingNew(at, step, config.isEmpty);
      started = true;
      at.offset = step.offset;
      at.cursor = step.cursor ?? at.cursor;
      at.upToDate = step.upToDate;
      at.closed = step.closed;
      return news;
    };

    const own = () =>
      at.offset === NOW || joinFirst
        ? EMPTY // nothing to catch up on: join the tail where it stands
        : config.catchUp(checkpoint()).pipe(
            takeWhile((step) => !step.upToDate && !step.closed, true),
            filter(advance),
          );
    const join = () =>
      at.closed
        ? EMPTY
        : config.tail(checkpoint()).pipe(
            takeTail({
              decide: (snapshot, first) => joinDecision(at, snapshot, first, config.empty, config.isEmpty),
              advance,
              tell: config.tell,
            }),
          );
    const round = defer(() => {
      const before = at.offset;
      const ownFirst = own();
      joinFirst = false;
      return concat(ownFirst, defer(join)).pipe(
        tap({ complete: () => (idleRounds = at.offset === before ? idleRounds + 1 : 0) }),
      );
    });
    return round.pipe(
      repeat({
        delay: () => (at.closed ? EMPTY : idleRounds === 0 ? of(0) : timer(config.backoff(idleRounds), scheduler)),
      }),
    );
  });
}
