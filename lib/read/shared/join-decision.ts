import type { StreamPosition } from '../../protocol/position.js';
import type { ReadStep } from '../read-step.js';
import { NOW, snapshotOffset, type TailSnapshot } from './tail-snapshot.js';

/**
 * What a reader at some position does with a shared tail's snapshot:
 * - `deliver`: the step starts exactly where the reader stands: it is the reader's next step;
 * - `skip`: the reader has all of it already (or nothing happened): wait for the next;
 * - `rejoin`: the step starts before the reader and ends after it (a straddle),
 *   or starts after it (a gap): the reader cannot take it without a duplicate or a
 *   hole, so it reads up to the tail on its own requests and tries again.
 */
export type JoinDecision<P> =
  { readonly kind: 'deliver'; readonly step: ReadStep<P> } | { readonly kind: 'skip' } | { readonly kind: 'rejoin' };

const SKIP = { kind: 'skip' } as const;
const REJOIN = { kind: 'rejoin' } as const;

/**
 * Decides, purely, what `reader` does with `snapshot` (`first`: the first
 * one it sees of this tail). Offsets are compared lexicographically
 * (PROTOCOL.md: offsets sort in stream order). A reader at `Offset.now` has
 * no position yet: when it started the tail (its first snapshot is the
 * tail's start at `now`), the tail's first step is its own; otherwise it
 * takes the tail's position, and hears of it in an up-to-date step with the
 * `empty` payload, as a read of its own from `now` would first hear of it.
 */
export function joinDecision<P>(
  reader: StreamPosition,
  snapshot: TailSnapshot<P>,
  first: boolean,
  empty: P,
  isEmpty: (payload: P) => boolean,
): JoinDecision<P> {
  const { step, from } = snapshot;
  const at = reader.offset;
  if (at === NOW) {
    if (from === NOW) return !step ? SKIP : first ? nowAt(snapshot, empty) : { kind: 'deliver', step };
    return nowAt(snapshot, empty);
  }
  if (step && from === at) return tellsSomethingNew(reader, step, isEmpty) ? { kind: 'deliver', step } : SKIP;
  const offset = snapshotOffset(snapshot);
  // A tail started at `now` that has not heard where that is yet: its first step will tell.
  if (offset === NOW) return SKIP;
  return offset <= at ? SKIP : REJOIN;
}

/** Where a reader from `now` that joins a running tail starts: where the tail stands, told in an empty up-to-date step. */
function nowAt<P>(snapshot: TailSnapshot<P>, empty: P): JoinDecision<P> {
  const { step } = snapshot;
  const cursor = step?.cursor ?? snapshot.cursor;
  return {
    kind: 'deliver',
    step: {
      payload: empty,
      offset: snapshotOffset(snapshot),
      ...(cursor === undefined ? {} : { cursor }),
      upToDate: true,
      closed: step?.closed ?? false,
    },
  };
}

/** Whether a step changes what a reader at `reader` knows: data, a new offset, up-to-date or EOF. */
export function tellsSomethingNew<P>(
  reader: StreamPosition,
  step: ReadStep<P>,
  isEmpty: (payload: P) => boolean,
): boolean {
  return (
    !isEmpty(step.payload) ||
    step.offset !== reader.offset ||
    step.upToDate !== reader.upToDate ||
    (step.closed && !reader.closed)
  );
}
