import {
  concatMap,
  endWith,
  from,
  ignoreElements,
  of,
  type MonoTypeOperatorFunction,
  type ObservableInput,
} from 'rxjs';
import type { ReadStep } from './read-step.js';

/** A read loop's backpressure (see `ReadLoopConfig.settle`): made by {@link settleEach}. */
export type SettleSteps<P> = MonoTypeOperatorFunction<ReadStep<P> | undefined>;

/**
 * Holds each step until `settle(step)` completes, then passes it on (a step the loop has nothing to emit for,
 * `undefined`, passes at once). A module of its own: only reads that settle (`consume()`) carry it.
 */
export function settleEach<P>(settle: (step: ReadStep<P>) => ObservableInput<unknown>): SettleSteps<P> {
  return concatMap((step) =>
    step === undefined ? of(step) : from(settle(step)).pipe(ignoreElements(), endWith(step)),
  );
}
