import type { Framing } from '../protocol/content-type.js';
import { ProducerBufferFullError, ValueTooLargeError, type BufferLimit } from './producer-errors.js';

/** What the builder enforces. */
export interface BatchBuilderLimits {
  readonly maxBatchItems: number;
  readonly maxBatchBytes: number;
  readonly maxBufferedMessages: number;
  readonly maxBufferedBytes: number;
}

/** The batch and buffer limits of one producer as checks, and the errors that refuse a value. Pure. */
export class BatchLimits {
  constructor(
    readonly max: BatchBuilderLimits,
    private readonly url: string,
    private readonly producerId: string,
  ) {}

  /** Whether one more value of `bytes` would take a body (`count` values, `bodyBytes`) past `maxBatchBytes`. */
  overflows(
    framing: Framing | undefined,
    body: { readonly count: number; readonly bytes: number },
    bytes: number,
  ): boolean {
    return framedSize(framing, body.count + 1, body.bytes + bytes) > this.max.maxBatchBytes;
  }

  /**
   * Throws `ValueTooLargeError` for a value that could never be sent: alone
   * (`framed`: in its body) it exceeds `maxBatchBytes`, or (`buffered`)
   * `maxBufferedBytes`.
   */
  refuseTooLarge(bytes: number, framed: number, value: unknown, buffered = true): void {
    const { maxBatchBytes, maxBufferedBytes } = this.max;
    const limit =
      framed > maxBatchBytes
        ? ({ limit: 'maxBatchBytes', bytes: framed, max: maxBatchBytes } as const)
        : buffered && bytes > maxBufferedBytes
          ? ({ limit: 'maxBufferedBytes', bytes, max: maxBufferedBytes } as const)
          : undefined;
    if (limit) throw new ValueTooLargeError({ url: this.url, producerId: this.producerId, value, ...limit });
  }

  /** At buffer limit `limit`: throws `ProducerBufferFullError`, or answers false when `throwIfFull` is false. */
  full(throwIfFull: boolean, limit: BufferLimit, pendingMessages: number, pendingBytes: number): false {
    if (!throwIfFull) return false;
    const { url, producerId } = this;
    const max = this.max[limit];
    throw new ProducerBufferFullError({ url, producerId, limit, max, pendingMessages, pendingBytes });
  }
}

/** The size of a body of `count` values of `bytes` in all: a JSON array's brackets and commas added. */
export function framedSize(framing: Framing | undefined, count: number, bytes: number): number {
  return framing === 'json' ? bytes + count + 1 : bytes;
}
