import type { ConnectionState, LiveMode, ReadPosition } from '../index.js';

/**
 * What a {@link StreamResourceRef} is doing:
 * - `idle`: no request (the request function returned `undefined`);
 * - `loading`: a read was opened, nothing has come back yet;
 * - `catching-up`: reading history;
 * - `live`: up to date, tailing (long-poll or SSE);
 * - `reconnecting`: a request failed and is being retried (from the read's connection state);
 * - `resolved`: a read with `live: false` caught up and ended (on the server, every read does);
 * - `closed`: the stream is closed and everything in it was read (EOF);
 * - `error`: the read failed for good; `error()` says why, `reload()` tries again.
 */
export type StreamResourceStatus =
  'idle' | 'loading' | 'catching-up' | 'live' | 'reconnecting' | 'resolved' | 'closed' | 'error';

/**
 * The status a batch tells: until the read has told its connection state
 * (and for a `live: false` read's end, and EOF), the batches decide it.
 */
export function statusAfterBatch(
  position: Pick<ReadPosition, 'upToDate' | 'closed'>,
  live: LiveMode,
): StreamResourceStatus {
  if (position.closed) return 'closed';
  if (!position.upToDate) return 'catching-up';
  return live === false ? 'resolved' : 'live';
}

/** The resource status a read's connection state (`ReadOptions.connectionState`) tells. */
export function statusFromConnection(state: ConnectionState): StreamResourceStatus {
  switch (state.status) {
    case 'connecting':
      return 'loading';
    case 'catching-up':
      return 'catching-up';
    case 'live':
      return 'live';
    // Offline: the browser said so; the read waits for `online` and goes on, as after a failure.
    case 'reconnecting':
    case 'offline':
      return 'reconnecting';
    case 'closed':
      return 'closed';
  }
}
