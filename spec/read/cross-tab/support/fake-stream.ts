import { Observable } from 'rxjs';
import type { Checkpoint } from '../../../../lib/protocol/offset';
import type { TailSnapshot } from '../../../../lib/read/shared/tail-snapshot';

/** Offsets as the server mints them: they sort in stream order. */
export const offsetAt = (index: number): string => String(index).padStart(6, '0');

/**
 * A stream's live tail without HTTP: `live(from)` is a tail that tells,
 * as snapshots, what is appended after `from` (first, at once, what is
 * already there), one step per append. Counts the tails running.
 */
export class FakeStream {
  readonly entries: string[] = [];
  readonly opened: string[] = [];
  active = 0;
  private readonly listeners = new Set<() => void>();

  append(...texts: string[]): void {
    for (const text of texts) {
      this.entries.push(text);
      for (const listener of [...this.listeners]) listener();
    }
  }

  readonly live = (from: Checkpoint): Observable<TailSnapshot<string>> =>
    new Observable<TailSnapshot<string>>((subscriber) => {
      this.opened.push(from.offset);
      this.active++;
      let at = Number(from.offset);
      const tell = () => {
        if (at >= this.entries.length) return;
        const payload = this.entries.slice(at).join('');
        const start = at;
        at = this.entries.length;
        subscriber.next({
          from: offsetAt(start),
          step: { payload, offset: offsetAt(at), upToDate: true, closed: false },
        });
      };
      this.listeners.add(tell);
      tell();
      return () => {
        this.active--;
        this.listeners.delete(tell);
      };
    });
}
