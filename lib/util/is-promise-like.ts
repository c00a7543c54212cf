/** Whether `value` is a thenable: a Promise, or anything awaiting would unwrap. */
export function isPromiseLike<T>(value: unknown): value is PromiseLike<T> {
  return typeof (value as { then?: unknown } | null | undefined)?.then === 'function';
}
