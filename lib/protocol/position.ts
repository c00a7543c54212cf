import type { Checkpoint } from './offset.js';

/**
 * Where a read stands: what the headers of a read response, or an SSE
 * control event, say (PROTOCOL.md 5.6-5.8). The one shape of a position on
 * the read path: response metadata, SSE control events, read steps, the read
 * state and the chunks a read emits all carry it.
 */
export interface StreamPosition extends Checkpoint {
  /** The read has reached the tail as it was when the server answered. Not EOF. */
  readonly upToDate: boolean;
  /** The stream is closed and this is its end (EOF): nothing follows. */
  readonly closed: boolean;
}
