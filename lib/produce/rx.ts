/**
 * The rxjs the producer's modules use, from one module: a bundler keeps one `import … from 'rxjs'` statement per
 * module that imports it (rxjs is external in apps' bundles, as the app has it anyway), and this makes it one for the
 * whole producer (measured: 268 B gzip less in a producer app). Modules the producer loads lazily (the outbox's)
 * import rxjs themselves: a module shared with the initial code would split it in two files.
 */
/* eslint-disable @typescript-eslint/no-deprecated -- some of these have deprecated overloads; the calls, in the modules, are checked */
export {
  AsyncSubject,
  asyncScheduler,
  BehaviorSubject,
  catchError,
  concat,
  defer,
  distinctUntilChanged,
  EMPTY,
  endWith,
  exhaustMap,
  expand,
  filter,
  first,
  identity,
  ignoreElements,
  last,
  map,
  merge,
  mergeMap,
  noop,
  Observable,
  of,
  queueScheduler,
  ReplaySubject,
  share,
  startWith,
  Subject,
  switchMap,
  take,
  takeUntil,
  tap,
  throwError,
  timer,
} from 'rxjs';
/* eslint-enable @typescript-eslint/no-deprecated */
export type { MonoTypeOperatorFunction, Observer, OperatorFunction, SchedulerLike } from 'rxjs';
