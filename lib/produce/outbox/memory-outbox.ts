import { OutboxError, OutboxLockedError } from './outbox-errors.js';
import {
  isBefore,
  type OutboxBatch,
  type OutboxChange,
  type OutboxContents,
  type ProducerOutbox,
  type OutboxSession,
} from './producer-outbox.js';

/**
 * An outbox in memory, for tests and for producers that only need to
 * survive their own failures within one process: a second producer opened
 * on it after the first stopped (failed, aborted, or lost with its
 * process's state kept) delivers what the first did not. Keeps what is
 * written, bodies by reference, until it is removed. Nothing survives the
 * process: use `fileOutbox(dir)` (`durable-streams-rx/node`) for that.
 */
export function memoryOutbox(): ProducerOutbox {
  let contents: OutboxContents = { position: undefined, batches: [] };
  let holder: object | undefined;
  return {
    open() {
      if (holder) return Promise.reject(new OutboxLockedError({ outbox: 'in memory', holder: 'another producer' }));
      const session = {};
      holder = session;
      const held = () => holder === session;
      const opened: OutboxSession = {
        contents,
        write: (change) => {
          if (!held()) return Promise.reject(closed());
          contents = applyChange(contents, change);
          return Promise.resolve();
        },
        close: () => {
          if (held()) holder = undefined;
          return Promise.resolve();
        },
      };
      return Promise.resolve(opened);
    },
  };
}

/**
 * What an outbox holds after `change` (see `OutboxChange` for the order).
 * Pure: `contents` is left as it was. Batches stay in (epoch, seq) order.
 */
export function applyChange(contents: OutboxContents, change: OutboxChange): OutboxContents {
  const { acknowledged, put = [] } = change;
  let batches: OutboxBatch[] = change.replaceAll ? [] : [...contents.batches];
  if (acknowledged) batches = batches.filter((batch) => isBefore(acknowledged, batch));
  for (const batch of put) {
    // Usually after every batch kept: appended.
    const last = batches.at(-1);
    const at = !last || isBefore(last, batch) ? -1 : batches.findIndex((kept) => !isBefore(kept, batch));
    if (at < 0) batches.push(batch);
    else batches.splice(at, isBefore(batch, batches[at]) ? 0 : 1, batch);
  }
  return { position: change.position ?? contents.position, batches };
}

function closed(): OutboxError {
  return new OutboxError({
    reason: 'write-failed',
    what: 'The outbox session is closed',
    hint: 'Open the outbox again to write to it',
  });
}
