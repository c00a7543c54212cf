/**
 * A position in a stream: an opaque string minted by the server, or one of
 * the two sentinels. Compare offsets only for equality or lexicographic order.
 */
export type Offset = string;

/** The protocol's sentinel offsets (PROTOCOL.md section 8). */
export const Offset = {
  /** The start of the stream: read everything. */
  beginning: '-1',
  /** The current tail: skip existing data, read only what arrives next. */
  now: 'now',
} as const;

/** What a reader persists to resume exactly where it left off. */
export interface Checkpoint {
  /** The next offset to read. */
  readonly offset: Offset;
  /** The last cursor seen, echoed for CDN collapsing. */
  readonly cursor?: string;
}
