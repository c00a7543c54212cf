import { Observable } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { InvalidArgumentError } from '../../lib/errors/client-errors';
import { documentVisibility } from '../../lib/operators/document-visibility';
import { pauseWhileHidden } from '../../lib/operators/pause-while-hidden';
import { Offset, type Checkpoint } from '../../lib/protocol/offset';

interface Batch {
  readonly items: readonly string[];
  readonly checkpoint: Checkpoint;
}

const batch = (offset: string): Batch => ({ items: [offset], checkpoint: { offset } });
const a = batch('1');
const b = batch('2');
const c = batch('3');
const values = { a, b, c };
const vis = { t: true, f: false };

function scheduler(): TestScheduler {
  return new TestScheduler((actual, expected) => expect(actual).toEqual(expected));
}

/** A read factory handing out `reads` in turn and recording where each started. */
function reads(...sources: Observable<Batch>[]) {
  const starts: Array<Checkpoint | undefined> = [];
  const read = (checkpoint: Checkpoint | undefined): Observable<Batch> => {
    starts.push(checkpoint);
    const next = sources.at(starts.length - 1);
    if (!next) throw new Error(`unexpected read #${starts.length}`);
    return next;
  };
  return { read, starts };
}

describe('pauseWhileHidden (virtual time)', () => {
  it('reads while visible, unsubscribes when hidden, and resumes from the last checkpoint when visible again', () => {
    let starts: Array<Checkpoint | undefined> = [];
    scheduler().run(({ cold, hot, expectObservable, expectSubscriptions }) => {
      const first = cold<Batch>('-a-b----c', values);
      const second = cold<Batch>('-c|', values);
      const setup = reads(first, second);
      starts = setup.starts;
      const visibility = hot('t----f--t', vis);
      expectObservable(pauseWhileHidden(setup.read, { visibility })).toBe('-a-b-----c|', values);
      expectSubscriptions(first.subscriptions).toBe('^----!');
      expectSubscriptions(second.subscriptions).toBe('--------^-!');
    });
    expect(starts).toEqual([undefined, b.checkpoint]);
  });

  it('passes the checkpoint of the last batch to the next read, and options.from to the first', () => {
    const ts = scheduler();
    let starts: Array<Checkpoint | undefined> = [];
    ts.run(({ cold, hot, expectObservable }) => {
      const setup = reads(cold<Batch>('-a-b---', values), cold<Batch>('---', values), cold<Batch>('-c|', values));
      starts = setup.starts;
      const visibility = hot('t----f-t-f-t', vis);
      expectObservable(pauseWhileHidden(setup.read, { visibility, from: { offset: '0' } })).toBe(
        '-a-b--------c|',
        values,
      );
    });
    // The second read emitted nothing, so the third starts where the first left off.
    expect(starts).toEqual([{ offset: '0' }, b.checkpoint, b.checkpoint]);
  });

  it('hands an offset given as from to the first read as a checkpoint', () => {
    let starts: Array<Checkpoint | undefined> = [];
    scheduler().run(({ cold, hot, expectObservable }) => {
      const setup = reads(cold<Batch>('-a|', values));
      starts = setup.starts;
      expectObservable(pauseWhileHidden(setup.read, { visibility: hot('t', vis), from: Offset.now })).toBe(
        '-a|',
        values,
      );
    });
    expect(starts).toEqual([{ offset: 'now' }]);
  });

  it('does not read while the page starts hidden', () => {
    scheduler().run(({ cold, hot, expectObservable, expectSubscriptions }) => {
      const only = cold<Batch>('-a', values);
      const { read } = reads(only);
      expectObservable(pauseWhileHidden(read, { visibility: hot('f---t', vis) })).toBe('-----a', values);
      expectSubscriptions(only.subscriptions).toBe('----^');
    });
  });

  it('ignores repeated "visible" signals: the read is not restarted', () => {
    scheduler().run(({ cold, hot, expectObservable, expectSubscriptions }) => {
      const only = cold<Batch>('-a--b', values);
      const { read } = reads(only);
      expectObservable(pauseWhileHidden(read, { visibility: hot('t-t-t', vis) })).toBe('-a--b', values);
      expectSubscriptions(only.subscriptions).toBe('^');
    });
  });

  it('with hiddenDelayMs, keeps the read through a short hide and stops it after a long one', () => {
    scheduler().run(({ cold, hot, expectObservable, expectSubscriptions }) => {
      const first = cold<Batch>('-a----b--------', values);
      const { read } = reads(first);
      const visibility = hot('t-f-t---f------', vis);
      expectObservable(pauseWhileHidden(read, { visibility, hiddenDelayMs: 3 })).toBe('-a----b', values);
      // hidden at 2, visible again at 4: kept; hidden at 8: stopped at 8 + 3.
      expectSubscriptions(first.subscriptions).toBe('^ 10ms !');
    });
  });

  it('completes when the read completes (a closed stream), and stops watching visibility', () => {
    scheduler().run(({ cold, hot, expectObservable, expectSubscriptions }) => {
      const { read } = reads(cold<Batch>('-a|', values));
      const visibility = hot('t-------', vis);
      expectObservable(pauseWhileHidden(read, { visibility })).toBe('-a|', values);
      expectSubscriptions(visibility.subscriptions).toBe('^-!');
    });
  });

  it('errors when the read errors, and when visibility errors', () => {
    scheduler().run(({ cold, hot, expectObservable }) => {
      const failure = new Error('401');
      expectObservable(
        pauseWhileHidden(reads(cold<Batch>('-a#', values, failure)).read, { visibility: hot('t', vis) }),
      ).toBe('-a#', values, failure);
      expectObservable(
        pauseWhileHidden(reads(cold<Batch>('-a-', values)).read, { visibility: hot('t---#', vis, failure) }),
      ).toBe('-a--#', values, failure);
    });
  });

  it('completes when visibility completes while hidden; keeps reading when it completes while visible', () => {
    scheduler().run(({ cold, hot, expectObservable }) => {
      expectObservable(
        pauseWhileHidden(reads(cold<Batch>('-a--', values)).read, { visibility: hot('t-f|', vis) }),
      ).toBe('-a-|', values);
      expectObservable(
        pauseWhileHidden(reads(cold<Batch>('-a--b|', values)).read, { visibility: hot('t|', vis) }),
      ).toBe('-a--b|', values);
    });
  });

  it('is cold, and unsubscribing stops both the read and the visibility watch', () => {
    scheduler().run(({ cold, hot, expectObservable, expectSubscriptions }) => {
      const only = cold<Batch>('-a-b-c', values);
      const visibility = hot('t-----', vis);
      const { read, starts } = reads(only);
      const result = pauseWhileHidden(read, { visibility });
      expect(starts).toEqual([]);
      expectObservable(result, '^--!').toBe('-a-', values);
      expectSubscriptions(only.subscriptions).toBe('^--!');
      expectSubscriptions(visibility.subscriptions).toBe('^--!');
    });
  });

  it('rejects a negative or non-finite hiddenDelayMs', () => {
    const read = () => new Observable<Batch>();
    expect(() => pauseWhileHidden(read, { hiddenDelayMs: -1 })).toThrow(InvalidArgumentError);
    expect(() => pauseWhileHidden(read, { hiddenDelayMs: Number.NaN })).toThrow(InvalidArgumentError);
  });
});

describe('documentVisibility', () => {
  class FakeDocument extends EventTarget {
    visibilityState: 'visible' | 'hidden' = 'visible';
    listeners = 0;
    override addEventListener(...args: Parameters<EventTarget['addEventListener']>): void {
      this.listeners++;
      super.addEventListener(...args);
    }
    override removeEventListener(...args: Parameters<EventTarget['removeEventListener']>): void {
      this.listeners--;
      super.removeEventListener(...args);
    }
    set(state: 'visible' | 'hidden'): void {
      this.visibilityState = state;
      this.dispatchEvent(new Event('visibilitychange'));
    }
  }

  it('emits the current state on subscribe, then each change, and removes its listener on unsubscribe', () => {
    const doc = new FakeDocument();
    doc.visibilityState = 'hidden';
    const seen: boolean[] = [];
    const visibility = documentVisibility(doc);
    expect(doc.listeners).toBe(0);
    const subscription = visibility.subscribe((visible) => seen.push(visible));
    doc.set('visible');
    doc.set('visible');
    doc.set('hidden');
    expect(seen).toEqual([false, true, false]);
    expect(doc.listeners).toBe(1);
    subscription.unsubscribe();
    expect(doc.listeners).toBe(0);
  });

  it('drives pauseWhileHidden: hiding the page unsubscribes the read', () => {
    const doc = new FakeDocument();
    let open = 0;
    const read = () =>
      new Observable<Batch>(() => {
        open++;
        return () => open--;
      });
    const subscription = pauseWhileHidden(read, { visibility: documentVisibility(doc) }).subscribe();
    expect(open).toBe(1);
    doc.set('hidden');
    expect(open).toBe(0);
    doc.set('visible');
    expect(open).toBe(1);
    subscription.unsubscribe();
    expect(open).toBe(0);
    expect(doc.listeners).toBe(0);
  });

  it('without a document (Node, server rendering), says "visible" once and never completes', () => {
    expect((globalThis as { document?: unknown }).document).toBeUndefined();
    const seen: boolean[] = [];
    let completed = false;
    const subscription = documentVisibility().subscribe({
      next: (v) => seen.push(v),
      complete: () => (completed = true),
    });
    expect(seen).toEqual([true]);
    expect(completed).toBe(false);
    subscription.unsubscribe();
  });
});
