import type { Checkpoint, Offset } from '../protocol/offset.js';
import type { StreamPosition } from '../protocol/position.js';

/**
 * Where a read stands after one response (or one SSE control event): the
 * part of every chunk that is about position rather than content.
 */
export interface ReadPosition extends StreamPosition {
  /** The next offset to read: resuming from here neither skips nor repeats data. */
  readonly offset: Offset;
  /** The last cursor the server sent, echoed on live requests for CDN collapsing. */
  readonly cursor?: string;
  /** What to persist to resume later: `{ offset, cursor }`. Pass it back as `from`. */
  readonly checkpoint: Checkpoint;
}

/** What `readBytes()` emits: the bytes of one response (possibly none) and where the read stands. */
export interface ByteChunk extends ReadPosition {
  /** The bytes of this response, in stream order (possibly none). */
  readonly data: Uint8Array;
}

/** What `readText()` emits: UTF-8 decoded as a stream, so no character is ever cut in two. */
export interface TextChunk extends ReadPosition {
  /** The text of this response (possibly empty). */
  readonly text: string;
}

/** What `readJson()` emits: the messages of one response, in stream order. */
export interface JsonBatch<T = unknown> extends ReadPosition {
  /** The messages, each parsed from its JSON. */
  readonly items: readonly T[];
}
