import { InvalidArgumentError } from '../errors/client-errors.js';
import type { Ack, PendingStream } from './subscription-types.js';

/**
 * The acks of one wake: the furthest offset per stream the handler has
 * acked, and which of them the server has not been sent yet. Offsets only
 * move forward (an older ack after a newer one is ignored), so a heartbeat
 * never regresses a cursor.
 */
export class AckLedger {
  private readonly latest = new Map<string, string>();
  private readonly sent = new Map<string, string>();
  private readonly known: ReadonlySet<string>;

  constructor(
    private readonly streams: readonly PendingStream[],
    private readonly describe: string,
  ) {
    this.known = new Set(streams.map((stream) => stream.path));
  }

  /** Records an ack from the handler; throws on one that is not an ack of this wake's streams. */
  record(ack: Ack): void {
    if (
      ack === null ||
      typeof ack !== 'object' ||
      typeof ack.stream !== 'string' ||
      typeof ack.offset !== 'string' ||
      ack.offset === ''
    ) {
      throw new InvalidArgumentError(
        `The handler of ${this.describe} emitted ${JSON.stringify(ack)}, not an ack { stream, offset }`,
      );
    }
    if (!this.known.has(ack.stream)) {
      throw new InvalidArgumentError(
        `The handler of ${this.describe} acked '${ack.stream}', which is not one of its streams (${[...this.known].join(', ')})`,
      );
    }
    const previous = this.latest.get(ack.stream);
    if (previous === undefined || ack.offset > previous) this.latest.set(ack.stream, ack.offset);
  }

  /** The acks the server has not accepted yet. */
  unsent(): Ack[] {
    const out: Ack[] = [];
    for (const [stream, offset] of this.latest) if (this.sent.get(stream) !== offset) out.push({ stream, offset });
    return out;
  }

  /** Records that the server accepted `acks`. */
  markSent(acks: readonly Ack[]): void {
    for (const ack of acks) this.sent.set(ack.stream, ack.offset);
  }

  /**
   * Completes the wake: every pending stream the handler did not ack is
   * acked at the wake's tail. Returns what `done` must carry (not yet
   * accepted) and every ack of the wake. Safe to call again (a retried `done`).
   */
  complete(): { readonly unsent: Ack[]; readonly all: Ack[] } {
    for (const stream of this.streams) {
      if (stream.hasPending && !this.latest.has(stream.path)) this.latest.set(stream.path, stream.tailOffset);
    }
    return { unsent: this.unsent(), all: [...this.latest].map(([stream, offset]) => ({ stream, offset })) };
  }
}
