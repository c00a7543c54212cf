import { catchError, concatMap, defer, EMPTY, finalize, from, ignoreElements, Observable, takeUntil } from 'rxjs';
import { DurableStreamError } from '../../../errors/durable-stream-error.js';
import type { DurableStream } from '../../../http/stream-handle.js';
import { idempotentProducer } from '../../idempotent-producer-of.js';
import type { ProducerOptions } from '../../producer-options.js';
import { indexedDbOutbox } from '../indexed-db/indexed-db-outbox.js';
import { outboxNames, removeEmptyOutbox } from '../indexed-db/outbox-catalog.js';
import { OutboxLockedError } from '../outbox-errors.js';
import type { OutboxSession, ProducerOutbox } from '../producer-outbox.js';
import type { OutboxClaims } from './outbox-claims.js';

/** What delivering the outboxes closed tabs left needs. */
export interface Orphanage {
  /** The stream the producer writes to: outboxes of other streams are left for a producer on those. */
  readonly stream: DurableStream;
  readonly database: string;
  /** The prefix of the names of the app's tab outboxes of this kind. */
  readonly prefix: string;
  /** This tab's own outbox: never an orphan. */
  readonly own: string;
  /** Options of the producers that deliver them (the tab producer's, without outbox and epoch). */
  readonly options: ProducerOptions;
  readonly claims: OutboxClaims;
  /** Told why an orphan could not be delivered (it stays, for a later tab to try). */
  readonly onError: ((error: DurableStreamError) => void) | undefined;
}

/**
 * Delivers what closed tabs left in their outboxes, one outbox after the
 * other: each outbox of the app's tab producers on this stream whose lock
 * is free (its tab is gone: the browser released it) is taken, and a
 * producer with its id delivers its batches under their own (epoch, seq),
 * exactly as that tab would have (the server answers what had arrived as a
 * duplicate); an outbox left empty is then removed. Locked outboxes belong
 * to running tabs and are left alone. When the tab an outbox belongs to
 * comes back and claims it (a reload, a restored tab), its producer stops
 * (what is unacknowledged stays in the outbox) and gives it back.
 * Unsubscribing stops the one being delivered the same way.
 */
export function adoptOrphans(orphanage: Orphanage): Observable<never> {
  return defer(() => from(outboxNames(orphanage.database, orphanage.prefix))).pipe(
    concatMap((names) => from(names.filter((name) => name !== orphanage.own))),
    concatMap((name) => adoptOne(orphanage, name)),
    ignoreElements(),
    catchError((error: unknown) => {
      report(orphanage, error);
      return EMPTY;
    }),
  );
}

function adoptOne(orphanage: Orphanage, name: string): Observable<never> {
  const { stream, database } = orphanage;
  return defer(() => indexedDbOutbox(name, { database }).open().catch(skipLocked)).pipe(
    concatMap((session) => {
      if (!session) return EMPTY;
      const { position, batches } = session.contents;
      if (batches.length === 0 || !position || position.url !== stream.url)
        return defer(async () => {
          await session.close();
          if (batches.length === 0) await removeEmptyOutbox(database, name);
        }).pipe(ignoreElements());
      const producer = idempotentProducer(stream, position.producerId, {
        ...orphanage.options,
        outbox: handedOver(session),
      });
      return producer.finish().pipe(
        // Its tab came back: it delivers its own outbox (what this producer had not, stays in it).
        takeUntil(orphanage.claims.claimed(name)),
        finalize(() => producer.abort()),
        concatMap(() => from(removeEmptyOutbox(database, name))),
        ignoreElements(),
        catchError((error: unknown) => {
          report(orphanage, error);
          return EMPTY;
        }),
      );
    }),
  );
}

/** An outbox already opened: the adopting producer opens it without a moment in which another tab could take it. */
function handedOver(session: OutboxSession): ProducerOutbox {
  let given = false;
  return {
    open: () => {
      if (given) return session.close().then(() => Promise.reject(new Error('An adopted outbox opens once')));
      given = true;
      return Promise.resolve(session);
    },
  };
}

const skipLocked = (error: unknown): undefined => {
  if (error instanceof OutboxLockedError) return undefined;
  throw error;
};

function report(orphanage: Orphanage, error: unknown): void {
  if (error instanceof DurableStreamError) orphanage.onError?.(error);
}
