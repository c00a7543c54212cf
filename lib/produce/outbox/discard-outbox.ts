import { defer, type Observable } from 'rxjs';
import { framingOf } from '../../protocol/content-type.js';
import { batchValues } from '../batch-values.js';
import type { ProducerOutbox } from './producer-outbox.js';

/**
 * Takes every batch out of `outbox` and emits their values (then
 * completes), in order, as the stream would have stored them: for values
 * the server refuses for good (the stream was closed or deleted, another
 * instance took the producer id over), which a producer on that outbox
 * would otherwise send again, and fail on, every time it starts. The
 * producer's position stays, so a later producer on the outbox goes on with
 * the next seq. Opens the outbox (an `OutboxLockedError` while a producer
 * holds it) and closes it again. Cold.
 */
export function discardOutbox(outbox: ProducerOutbox): Observable<readonly unknown[]> {
  return defer(async () => {
    const session = await outbox.open();
    try {
      const { batches } = session.contents;
      const values = batches.flatMap((batch) => batchValues(batch.body, framingOf(batch.contentType), batch.sizes));
      if (batches.length > 0) await session.write({ replaceAll: true });
      return values;
    } finally {
      await session.close();
    }
  });
}
