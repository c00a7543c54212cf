import { defer, Observable } from 'rxjs';

/**
 * `first`'s values (made into `U` by `pass`; none without it), then those of `next(last)` once `first` completes
 * (`last`: its last value): as `concat`, or `switchMap` over a source of one value, but nothing of `first` stays
 * once it has completed (every reader of a fan-out runs this for as long as it reads, and a live tail for its connection).
 */
export function continueWith<T, U>(
  first: Observable<T>,
  next: (last: T | undefined) => Observable<U>,
  pass?: (value: T) => U,
): Observable<U> {
  return new Observable<U>((subscriber) => {
    let last: T | undefined;
    return first.subscribe({
      next: (value) => {
        last = value;
        if (pass) subscriber.next(pass(value));
      },
      error: (error: unknown) => subscriber.error(error),
      // Through defer: an error making the next part reaches the subscriber.
      complete: () => defer(() => next(last)).subscribe(subscriber),
    });
  });
}
