import type { ConnectionState, LiveMode, ReadPosition } from '../index.js';

/**
 * What a {@link StreamResourceRef} is doing: the read's own words (the
 * `status` of its {@link ConnectionState}), and three of the resource's:
 * - `idle`: no request (the request function returned `undefined`);
 * - `connecting`: a read was opened, nothing has come back yet;
 * - `catching-up`: reading history;
 * - `live`: up to date, tailing (long-poll or SSE);
 * - `reconnecting`: a request failed and is tried again; `connection()` says
 *   which attempt, in how long, and why;
 * - `offline`: the browser says there is no network; the read goes on when it comes back;
 * - `closed`: the stream is closed and everything in it was read (EOF);
 * - `resolved`: a read with `live: false` caught up and ended (on the server, every read does);
 * - `error`: the read failed for good; `error()` says why, `reload()` tries again.
 */
export type StreamResourceStatus = 'idle' | ConnectionState['status'] | 'resolved' | 'error';

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
