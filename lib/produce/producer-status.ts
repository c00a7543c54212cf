import { concat, defer, distinctUntilChanged, map, of, startWith, takeUntil, type Observable } from 'rxjs';

/**
 * Where a producer's deliveries stand, for a UI to show ("3 messages
 * waiting") the way a read's `ConnectionState` shows its connection:
 * - `delivered`: every value appended is acknowledged by the server;
 * - `offline`: a request failed and delivery waits to try again, or the
 *   platform says there is no network (with an outbox, nothing is tried
 *   until it comes back); the values wait (in the outbox, if there is one);
 * - `sending`: values are on their way (batched, saved, or on the wire);
 * - `saved`: with an outbox, every value not yet acknowledged is in it and
 *   none is on the wire (between a save and its send, or after the producer
 *   stopped: the next producer on that outbox delivers them).
 */
export interface ProducerStatus {
  /** Where deliveries stand (see above). */
  readonly state: 'delivered' | 'offline' | 'sending' | 'saved';
  /** Values appended and not yet acknowledged. */
  readonly pending: number;
  /** Of those, how many are saved in the outbox (0 without one). */
  readonly saved: number;
}

/** What a producer's status is derived from, at one moment. */
export interface StatusFacts {
  readonly pending: number;
  readonly saved: number;
  /** Batches with an attempt on the wire. */
  readonly onWire: number;
  /** Since the last acknowledgement, a request failed, or delivery waited for the network. */
  readonly failing: boolean;
  /** The producer has an outbox. */
  readonly durable: boolean;
}

/** The status these facts make. Pure. */
export function producerStatusOf(facts: StatusFacts): ProducerStatus {
  const { pending, saved } = facts;
  const state =
    pending === 0
      ? 'delivered'
      : facts.failing
        ? 'offline'
        : facts.onWire > 0
          ? 'sending'
          : facts.durable && saved >= pending
            ? 'saved'
            : 'sending';
  return { state, pending, saved: Math.min(saved, pending) };
}

/** Whether two statuses tell the same. */
export function sameProducerStatus(a: ProducerStatus, b: ProducerStatus): boolean {
  return a.state === b.state && a.pending === b.pending && a.saved === b.saved;
}

/**
 * The status as an Observable: the current one at once, then each change,
 * looked at whenever `changes` emits; after `stopped$`, the last one, then
 * complete. Cold: facts are read only while subscribed.
 */
export function producerStatus$(
  changes: Observable<unknown>,
  stopped$: Observable<unknown>,
  facts: () => StatusFacts,
): Observable<ProducerStatus> {
  const now = () => producerStatusOf(facts());
  return concat(
    changes.pipe(startWith(0), takeUntil(stopped$), map(now)),
    defer(() => of(now())),
  ).pipe(distinctUntilChanged(sameProducerStatus));
}
