/** Whether `value` is a thenable: a Promise, or anything awaiting would unwrap. */
export function isPromiseLike<T>(value: unknown): value is PromiseLike<T> {
  return typeof (value as { then?: unknown } | null | undefined)?.then === 'function';
}

/** `next(value)`, at once for a plain value, after it settles for a thenable: no tick unless one is needed. */
export function andThen<T, R>(value: T | PromiseLike<T>, next: (settled: T) => R | PromiseLike<R>): R | Promise<R> {
  return isPromiseLike<T>(value) ? Promise.resolve(value).then(next) : (next(value) as R | Promise<R>);
}
