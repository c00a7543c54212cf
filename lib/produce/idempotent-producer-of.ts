import { streamContextOf, type DurableStream } from '../http/stream-handle.js';
import { IdempotentProducer } from './idempotent-producer.js';
import type { ProducerOptions } from './producer-options.js';

/**
 * An exactly-once producer for `stream`: batched, pipelined appends the
 * server deduplicates by (producerId, epoch, seq). Raise `epoch` on every
 * restart of the same producer id. No I/O until the first append; options
 * are validated here (a bad one throws `InvalidArgumentError`). Its values
 * are the handle's type: a `DurableStream<Order>` gives an `IdempotentProducer<Order>`.
 */
export function idempotentProducer<T = unknown>(
  stream: DurableStream<T>,
  producerId: string,
  options: ProducerOptions = {},
): IdempotentProducer<T> {
  return new IdempotentProducer<T>(streamContextOf(stream), producerId, options);
}
