/**
 * A one-consumer queue fed by pushes and read with `for await`: the body of
 * a response that arrives as events. Holds only what the consumer has not
 * taken yet.
 */
export class PushQueue<T> {
  private readonly items: T[] = [];
  private done = false;
  private failure: { readonly error: unknown } | undefined;
  private wake: (() => void) | undefined;

  push(item: T): void {
    if (this.done) return;
    this.items.push(item);
    this.notify();
  }

  end(): void {
    this.done = true;
    this.notify();
  }

  fail(error: unknown): void {
    if (this.done) return;
    this.failure = { error };
    this.done = true;
    this.notify();
  }

  [Symbol.asyncIterator](): AsyncGenerator<T> {
    return this.iterate(() => undefined);
  }

  /** Iterates; `release` runs when the consumer stops before the end (break, throw). */
  async *iterate(release: () => void): AsyncGenerator<T> {
    let finished = false;
    try {
      for (;;) {
        const item = this.items.shift();
        if (item !== undefined) {
          yield item;
          continue;
        }
        if (this.failure) throw this.failure.error;
        if (this.done) {
          finished = true;
          return;
        }
        await new Promise<void>((resolve) => (this.wake = resolve));
      }
    } finally {
      if (!finished) {
        this.done = true;
        release();
      }
    }
  }

  private notify(): void {
    const wake = this.wake;
    this.wake = undefined;
    wake?.();
  }
}
