import { defer, filter, takeWhile, throwError, type Observable } from 'rxjs';
import type { DurableStreamsClient } from '../client/durable-streams-client.js';
import { InvalidArgumentError } from '../errors/client-errors.js';
import type { RequestOptions } from '../http/stream-context.js';
import type { JsonBatch } from '../read/chunk.js';
import { readJson } from '../read/read-stream.js';
import { Offset } from '../protocol/offset.js';
import type { PendingStream } from './subscription-types.js';
import type { Wake } from './worker-types.js';

/** What the handler's view is made from. */
export interface WakeViewSource {
  readonly subscriptionId: string;
  readonly wakeId: string;
  readonly generation: number;
  readonly leaseTtlMs: number;
  readonly streams: readonly PendingStream[];
}

/** The handler's view of a wake: its pending streams, read through `client` (whose baseUrl is the stream root). */
export function wakeView(client: DurableStreamsClient, source: WakeViewSource, signal: AbortSignal): Wake {
  const byPath = new Map(source.streams.map((stream) => [stream.path, stream]));
  return {
    subscriptionId: source.subscriptionId,
    wakeId: source.wakeId,
    generation: source.generation,
    leaseTtlMs: source.leaseTtlMs,
    streams: source.streams,
    pending: source.streams.filter((stream) => stream.hasPending),
    signal,
    readJson: <T>(path: string, options: RequestOptions = {}): Observable<JsonBatch<T>> =>
      defer(() => {
        const stream = byPath.get(path);
        if (stream === undefined) {
          return throwError(
            () =>
              new InvalidArgumentError(
                `readJson('${path}'): not a stream of wake ${source.wakeId} (${[...byPath.keys()].join(', ')})`,
              ),
          );
        }
        // Acked offsets are inclusive and a read starts after its offset: reading from the acked offset yields exactly what is pending.
        return readJson<T>(client.stream(path), {
          ...options,
          from: stream.ackedOffset === Offset.beginning ? Offset.beginning : stream.ackedOffset,
          live: false,
        }).pipe(
          takeWhile((batch) => batch.offset < stream.tailOffset, true),
          filter((batch) => batch.items.length > 0),
        );
      }),
  };
}
