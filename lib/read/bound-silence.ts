import { Observable, type MonoTypeOperatorFunction, type SchedulerLike, type Subscription } from 'rxjs';

/**
 * Errors with `silence(ms)` when the source sends nothing for `boundMs()`
 * ms, counted from subscribe and from each value. Unlike `timeout`, whose
 * bound is fixed when it is subscribed, it follows a bound that a
 * long-lived source (an SSE connection) learns while it runs: the bound is
 * asked again after each value and when the timer comes due; undefined
 * means none for now. The bound may grow or appear, never shrink below a
 * timer already set. One timer at a time however many values pass (as
 * `watchIdle`): when it comes due it looks at the last value and, if there
 * was one since, sets itself for the rest of the bound.
 */
export function boundSilence<T>(
  boundMs: () => number | undefined,
  scheduler: SchedulerLike,
  silence: (ms: number) => unknown,
): MonoTypeOperatorFunction<T> {
  return (source) =>
    new Observable<T>((subscriber) => {
      let lastValueAt = scheduler.now();
      let timer: Subscription | undefined;
      const check = (): void => {
        timer = undefined;
        const ms = boundMs();
        if (ms === undefined) return;
        const silent = scheduler.now() - lastValueAt;
        if (silent >= ms) subscriber.error(silence(ms));
        else timer = scheduler.schedule(check, ms - silent);
      };
      const arm = () => {
        const ms = timer ? undefined : boundMs();
        if (ms !== undefined) timer = scheduler.schedule(check, Math.max(0, ms - (scheduler.now() - lastValueAt)));
      };
      arm();
      const inner = source.subscribe({
        next: (value) => {
          lastValueAt = scheduler.now();
          subscriber.next(value);
          if (!subscriber.closed) arm();
        },
        error: (error: unknown) => subscriber.error(error),
        complete: () => subscriber.complete(),
      });
      return () => {
        timer?.unsubscribe();
        inner.unsubscribe();
      };
    });
}
