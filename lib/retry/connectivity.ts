import {
  asyncScheduler,
  defer,
  EMPTY,
  filter,
  fromEvent,
  interval,
  map,
  merge,
  share,
  type Observable,
  type SchedulerLike,
} from 'rxjs';

/**
 * Why a waiting retry should go now rather than wait out its backoff:
 * - `online`: the browser says the network is back;
 * - `visible`: the page was shown again;
 * - `resume`: a frozen or cached page came back (Page Lifecycle `resume`, `pageshow` from the back/forward cache);
 * - `slept`: a timer fired far later than asked: the machine slept, and open connections are likely dead.
 */
export type WakeReason = 'online' | 'visible' | 'resume' | 'slept';

/** What a read asks of its platform about the network. */
export interface Connectivity {
  /** Emits when the network or the machine comes back. Listeners and timers live only while subscribed. */
  readonly wakes: Observable<WakeReason>;
  /** Whether the platform says there is no network at all (`navigator.onLine === false`). */
  isOffline(): boolean;
}

/** After these wakes a connection still open is likely dead (a sleeping machine, a frozen page, a network that went away). */
export const reconnectsOpenRequests = (reason: WakeReason): boolean => reason !== 'visible';

/** The parts of `window`, `document` and `navigator` that {@link connectivity} listens to. */
export interface ConnectivityEnvironment {
  readonly window?: EventSourceLike;
  readonly document?: EventSourceLike & { readonly visibilityState?: string };
  readonly navigator?: { readonly onLine?: boolean };
}

interface EventSourceLike {
  addEventListener(type: string, listener: (event: unknown) => void): void;
  removeEventListener(type: string, listener: (event: unknown) => void): void;
}

/** Timing of the sleep detector. */
export interface SleepDetection {
  /** How often the clock is checked, ms. */
  readonly checkEveryMs: number;
  /** How much later than asked a check must come to count as sleep, ms. */
  readonly lateByMs: number;
}

export const DEFAULT_SLEEP_DETECTION: SleepDetection = Object.freeze({ checkEveryMs: 5_000, lateByMs: 15_000 });

/**
 * The platform's connectivity signals, as one shared Observable: the
 * browser's `online`, `visibilitychange` (to visible), `pageshow` from the
 * back/forward cache and Page Lifecycle `resume` events where they exist,
 * and, everywhere, a clock check that notices when the machine slept (a
 * timer of `checkEveryMs` firing more than `lateByMs` late). While the page
 * is hidden the clock check does not count: browsers throttle timers of
 * hidden pages, and showing the page wakes reads anyway.
 *
 * Lazy and shared: listeners and the one timer exist only while some read
 * is subscribed, and are removed when the last one unsubscribes.
 */
export function connectivity(
  env: ConnectivityEnvironment = globalEnvironment(),
  scheduler: SchedulerLike = asyncScheduler,
  sleep: SleepDetection = DEFAULT_SLEEP_DETECTION,
): Connectivity {
  const { window: win, document: doc, navigator: nav } = env;
  const hidden = (): boolean => doc?.visibilityState === 'hidden';
  const on = (target: EventSourceLike | undefined, type: string): Observable<unknown> =>
    target ? fromEvent(target as never, type) : EMPTY;
  const wakes = merge(
    on(win, 'online').pipe(map((): WakeReason => 'online')),
    on(doc, 'visibilitychange').pipe(
      filter(() => !hidden()),
      map((): WakeReason => 'visible'),
    ),
    on(win, 'pageshow').pipe(
      filter((event) => (event as { persisted?: boolean }).persisted === true),
      map((): WakeReason => 'resume'),
    ),
    on(doc, 'resume').pipe(map((): WakeReason => 'resume')),
    sleeps(scheduler, sleep, hidden),
  ).pipe(share());
  return { wakes, isOffline: () => nav?.onLine === false };
}

/** Emits `'slept'` when a periodic clock check comes much later than asked. */
function sleeps(
  scheduler: SchedulerLike,
  { checkEveryMs, lateByMs }: SleepDetection,
  hidden: () => boolean,
): Observable<WakeReason> {
  return defer(() => {
    let last = scheduler.now();
    return interval(checkEveryMs, scheduler).pipe(
      filter(() => {
        const now = scheduler.now();
        const late = now - last - checkEveryMs;
        last = now;
        return late > lateByMs && !hidden();
      }),
      map((): WakeReason => 'slept'),
    );
  });
}

function globalEnvironment(): ConnectivityEnvironment {
  const scope = globalThis as {
    window?: EventSourceLike;
    document?: ConnectivityEnvironment['document'];
    navigator?: { onLine?: boolean };
  };
  return { window: scope.window, document: scope.document, navigator: scope.navigator };
}
