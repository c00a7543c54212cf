import {
  asyncScheduler,
  defer,
  distinctUntilChanged,
  EMPTY,
  from,
  map,
  of,
  Subject,
  switchMap,
  takeUntil,
  tap,
  timer,
  type Observable,
  type ObservableInput,
  type SchedulerLike,
} from 'rxjs';
import { InvalidArgumentError } from '../errors/client-errors.js';
import type { Checkpoint, Offset } from '../protocol/offset.js';
import type { Checkpointed } from './checkpoint-storage.js';
import { documentVisibility } from './document-visibility.js';

/** Options of {@link pauseWhileHidden}. */
export interface PauseWhileHiddenOptions {
  /**
   * Where the first read starts: an offset or a checkpoint (e.g. a saved
   * one), as a read's `from`; `read` gets it as a checkpoint. Default: the read's default.
   */
  readonly from?: Offset | Checkpoint;
  /**
   * Where the first read starts.
   * @deprecated Use `from` (`{ from: checkpoint }`); `checkpoint` is removed in the next release.
   */
  readonly checkpoint?: Checkpoint;
  /**
   * Whether the page is visible. Default: {@link documentVisibility}, the
   * document's `visibilitychange` (always visible where there is no document).
   */
  readonly visibility?: Observable<boolean>;
  /**
   * How long the page must stay hidden before the read is stopped, ms: a quick
   * tab switch then keeps the connection. Default 0: stop at once.
   */
  readonly hiddenDelayMs?: number;
  /** Scheduler of the hidden delay (tests pass a TestScheduler). */
  readonly scheduler?: SchedulerLike;
}

/**
 * Reads only while the page is visible. `read(from)` is subscribed
 * when the page is (or becomes) visible and unsubscribed when it is hidden,
 * which closes its connection; when the page is visible again, `read` is
 * called anew with the checkpoint of the last batch, so nothing is skipped or
 * repeated.
 *
 * Completes when a read completes (a finite read, or a closed stream), or
 * when `visibility` completes while hidden; errors when a read or
 * `visibility` errors. Cold: nothing starts before subscribe.
 *
 * ```ts
 * pauseWhileHidden((from) => readJson<Message>(stream, { from, live: 'sse' }))
 * ```
 */
export function pauseWhileHidden<T extends Checkpointed>(
  read: (from: Checkpoint | undefined) => ObservableInput<T>,
  options: PauseWhileHiddenOptions = {},
): Observable<T> {
  const hiddenDelayMs = options.hiddenDelayMs ?? 0;
  if (!Number.isFinite(hiddenDelayMs) || hiddenDelayMs < 0) {
    throw new InvalidArgumentError(`hiddenDelayMs must be a non-negative number of milliseconds, got ${hiddenDelayMs}`);
  }
  const scheduler = options.scheduler ?? asyncScheduler;
  return defer(() => {
    // eslint-disable-next-line @typescript-eslint/no-deprecated -- the old name works for one more release
    const start = options.from ?? options.checkpoint;
    let checkpoint = typeof start === 'string' ? { offset: start } : start;
    const readEnded = new Subject<void>();
    const visible$ = (options.visibility ?? documentVisibility()).pipe(
      switchMap((visible) =>
        visible || hiddenDelayMs === 0 ? of(visible) : timer(hiddenDelayMs, scheduler).pipe(map(() => false)),
      ),
      distinctUntilChanged(),
    );
    return visible$.pipe(
      switchMap((visible) =>
        visible
          ? defer(() => from(read(checkpoint))).pipe(
              tap({
                next: (batch) => (checkpoint = batch.checkpoint),
                complete: () => readEnded.next(),
              }),
            )
          : EMPTY,
      ),
      takeUntil(readEnded),
    );
  });
}
