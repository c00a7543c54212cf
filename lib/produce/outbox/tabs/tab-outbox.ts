import { defer, firstValueFrom, retry, throwError, timer, type Subscription } from 'rxjs';
import { indexedDbOutbox } from '../indexed-db/indexed-db-outbox.js';
import { globalLocks } from '../indexed-db/outbox-lock.js';
import { OutboxLockedError } from '../outbox-errors.js';
import type { OutboxSession, ProducerOutbox } from '../producer-outbox.js';
import { adoptOrphans, type Orphanage } from './adopt-orphans.js';

/** How long a tab waits for its own outbox (its last document letting go, a tab delivering it giving it back). */
export const OWN_OUTBOX_WAIT = { attempts: 50, delayMs: 200 } as const;

/**
 * The outbox of this tab's producer (`name`, in `database`): when the
 * producer opens it, it also starts delivering what closed tabs left
 * (`adoptOrphans`, where the Web Locks API can tell a closed tab from a
 * running one), until the producer closes it.
 *
 * The outbox may be held for a moment by someone else: this tab's last
 * document, on a reload, until the browser releases its lock; a producer of
 * this page that is stopping; another tab delivering it as an orphan while
 * this tab was away, which gives it back when claimed. So the producer
 * claims it and tries again, for up to 10 s, before it fails with the
 * `OutboxLockedError`.
 */
export function tabOutbox(name: string, orphanage: Omit<Orphanage, 'own'>): ProducerOutbox {
  const own = indexedDbOutbox(name, { database: orphanage.database });
  return {
    open: async () => {
      const session = await firstValueFrom(
        defer(() => own.open()).pipe(
          retry({
            count: OWN_OUTBOX_WAIT.attempts,
            delay: (error: unknown) => {
              if (!(error instanceof OutboxLockedError)) return throwError(() => error);
              orphanage.claims.claim(name);
              return timer(OWN_OUTBOX_WAIT.delayMs);
            },
          }),
        ),
      );
      const adopting = globalLocks() ? adoptOrphans({ ...orphanage, own: name }).subscribe() : undefined;
      return withAdoption(session, adopting);
    },
  };
}

/** The session, which ends the delivery of orphans when it is closed (they stay, for the next tab). */
function withAdoption(session: OutboxSession, adopting: Subscription | undefined): OutboxSession {
  return {
    contents: session.contents,
    write: (change) => session.write(change),
    close: () => {
      adopting?.unsubscribe();
      return session.close();
    },
  };
}
