import type { Checkpoint } from '../protocol/offset.js';
import { CheckpointStorageError } from './checkpoint-storage-error.js';

/**
 * What is kept under a key: where to resume, and, when the app keeps its own
 * state with it, that state. Both are one stored value, written in one
 * write, so they never disagree.
 */
export interface SavedRecord {
  readonly checkpoint: Checkpoint;
  /** Present when a state was saved with the checkpoint (`undefined` is not a state: it is refused on save). */
  readonly state?: { readonly value: unknown };
}

/** The stored text of a record: `{"offset":…,"cursor":…,"state":…}`. A state that JSON cannot hold is refused. */
export function encodeRecord(key: string, record: SavedRecord): string {
  const { offset, cursor } = record.checkpoint;
  const position = cursor === undefined ? { offset } : { offset, cursor };
  if (!record.state) return JSON.stringify(position);
  let state: unknown;
  try {
    state = JSON.stringify(record.state.value);
  } catch (error) {
    throw new CheckpointStorageError('save', key, `the state is not JSON (${String(error)})`, error);
  }
  // JSON.stringify gives undefined for undefined, functions and symbols.
  if (typeof state !== 'string') {
    throw new CheckpointStorageError('save', key, `the state is not JSON: ${typeof record.state.value}`);
  }
  return `${JSON.stringify(position).slice(0, -1)},"state":${state}}`;
}

/** The record stored as `raw`; undefined when nothing is stored (null, undefined or empty). */
export function decodeRecord(key: string, raw: string | null | undefined): SavedRecord | undefined {
  if (raw === null || raw === undefined || raw === '') return undefined;
  const shown = raw.slice(0, 80);
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch (error) {
    throw new CheckpointStorageError('load', key, `the stored value is not JSON: ${shown}`, error);
  }
  if (typeof parsed !== 'object' || parsed === null) {
    throw new CheckpointStorageError('load', key, `the stored value is not a checkpoint: ${shown}`);
  }
  const { offset, cursor } = parsed as { offset?: unknown; cursor?: unknown };
  if (typeof offset !== 'string' || offset === '' || (cursor !== undefined && typeof cursor !== 'string')) {
    throw new CheckpointStorageError('load', key, `the stored value is not a checkpoint: ${shown}`);
  }
  const checkpoint = cursor === undefined ? { offset } : { offset, cursor };
  return 'state' in parsed ? { checkpoint, state: { value: parsed.state } } : { checkpoint };
}

/** Whether two records say the same: the same position, and the same state (by identity) or none. */
export function sameRecord(a: SavedRecord | undefined, b: SavedRecord | undefined): boolean {
  return (
    a !== undefined &&
    b !== undefined &&
    sameCheckpoint(a.checkpoint, b.checkpoint) &&
    (a.state === b.state || (a.state !== undefined && b.state !== undefined && a.state.value === b.state.value))
  );
}

/** Whether two checkpoints name the same position. */
export function sameCheckpoint(a: Checkpoint | undefined, b: Checkpoint | undefined): boolean {
  return a !== undefined && b !== undefined && a.offset === b.offset && a.cursor === b.cursor;
}
