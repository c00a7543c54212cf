import type { BatchRequest, BatchSender } from '../../../../lib/produce/send-batch';
import { applyChange } from '../../../../lib/produce/outbox/memory-outbox';
import type {
  OutboxChange,
  OutboxContents,
  OutboxSession,
  ProducerOutbox,
} from '../../../../lib/produce/outbox/producer-outbox';

/**
 * An outbox around another that knows what it holds at every moment (each
 * write applied as the contract says), gates writes on demand, fails them
 * on demand, and checks the producer's one rule: a batch is sent only under
 * an (epoch, seq) the outbox holds it under, with the same body.
 */
export interface WatchedOutbox extends ProducerOutbox {
  /** What the outbox holds now (writes that resolved). */
  readonly contents: OutboxContents;
  /** Every change written, in order. */
  readonly changes: OutboxChange[];
  /** Requests sent under an (epoch, seq) the outbox did not hold them under: must stay empty. */
  readonly unsaved: BatchRequest[];
  /** Writes wait until {@link release} while held. */
  hold(): void;
  release(): void;
  /** The next writes reject with this error. */
  failWith(error: Error | undefined): void;
  /** A sender that checks each request against what the outbox holds, then sends with `send`. */
  checking(send: BatchSender): BatchSender;
}

export function watchedOutbox(inner: ProducerOutbox): WatchedOutbox {
  let contents: OutboxContents = { position: undefined, batches: [] };
  const changes: OutboxChange[] = [];
  const unsaved: BatchRequest[] = [];
  let held: Array<() => void> | undefined;
  let failure: Error | undefined;
  const watched: WatchedOutbox = {
    get contents() {
      return contents;
    },
    changes,
    unsaved,
    hold: () => (held ??= []),
    release: () => {
      const waiting = held ?? [];
      held = undefined;
      for (const go of waiting) go();
    },
    failWith: (error) => (failure = error),
    async open() {
      const session = await inner.open();
      contents = session.contents;
      const wrapped: OutboxSession = {
        contents: session.contents,
        write: async (change) => {
          if (held) await new Promise<void>((resolve) => held!.push(resolve));
          if (failure) throw failure;
          await session.write(change);
          changes.push(change);
          contents = applyChange(contents, change);
        },
        close: () => session.close(),
      };
      return wrapped;
    },
    checking: (send) => (request) => {
      const kept = contents.batches.find((batch) => batch.epoch === request.epoch && batch.seq === request.seq);
      const same =
        kept !== undefined &&
        kept.close === request.close &&
        Buffer.from(kept.body ?? []).equals(Buffer.from(request.body ?? []));
      if (!same) unsaved.push(request);
      return send(request);
    },
  };
  return watched;
}
