import type { Observable } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { NetworkError } from '../../lib/errors/client-errors';
import type { ConnectionState, ConnectionStateObserver } from '../../lib/read/connection-state';
import type { ReadStep } from '../../lib/read/read-step';
import { catchUpsInFlight, type KeyedCatchUp } from '../../lib/read/shared-catch-up';
import { step } from './support/fake-read';

const a = step('2', 'a');
const b = step('3', 'b');
const c = step('4', 'c', { upToDate: true });
const connecting: ConnectionState = { status: 'connecting' };
const catchingUp: ConnectionState = { status: 'catching-up' };

/** Issue #23 item 6: reads of one stream from one offset share a catch-up in flight, as they share a live tail. */
describe('catchUpsInFlight, the registry of sharedCatchUps() (virtual time)', () => {
  let scheduler: TestScheduler;
  let catchUp: KeyedCatchUp;
  let opened: number;
  beforeEach(() => {
    scheduler = new TestScheduler((actual, expected) => expect(actual).toEqual(expected));
    catchUp = catchUpsInFlight();
    opened = 0;
  });

  /** An `open` that counts the catch-ups it starts and tells `connecting` at once, as a read loop does. */
  const opener =
    (source: Observable<ReadStep<string>>) =>
    (states: ConnectionStateObserver): Observable<ReadStep<string>> => {
      opened++;
      states.next(connecting);
      return source;
    };
  const ignore = () => undefined;

  it('gives every read that comes before the first step the same steps, from one request chain', () => {
    scheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
      const source = cold('---a--b--(c|)', { a, b, c });
      const open = opener(source);
      expectObservable(catchUp('k', open, ignore)).toBe('---a--b--(c|)', { a, b, c });
      expectObservable(catchUp('k', open, ignore), '-^').toBe('---a--b--(c|)', { a, b, c });
      expectObservable(catchUp('k', open, ignore), '--^').toBe('---a--b--(c|)', { a, b, c });
      scheduler.flush();
      expect(opened).toBe(1);
      expectSubscriptions(source.subscriptions).toBe('^--------!');
    });
  });

  it('lets a read that comes after the first step read on its own (it would miss that step), and a later one join it', () => {
    scheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
      const source = cold('--a--b--(c|)', { a, b, c });
      const open = opener(source);
      expectObservable(catchUp('k', open, ignore)).toBe('--a--b--(c|)', { a, b, c });
      expectObservable(catchUp('k', open, ignore), '---^').toBe('-----a--b--(c|)', { a, b, c });
      expectObservable(catchUp('k', open, ignore), '----^').toBe('-----a--b--(c|)', { a, b, c });
      scheduler.flush();
      expect(opened).toBe(2);
      expectSubscriptions(source.subscriptions).toBe(['^-------!', '---^-------!']);
    });
  });

  it('keeps the requests while any read stays; the last one out aborts them', () => {
    scheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
      const source = cold('------a--b--(c|)', { a, b, c });
      const open = opener(source);
      expectObservable(catchUp('k', open, ignore), '^--!');
      expectObservable(catchUp('k', open, ignore), '-^---!');
      // Nothing left running: the next read starts anew.
      expectObservable(catchUp('k', open, ignore), '------^').toBe('------------a--b--(c|)', { a, b, c });
      scheduler.flush();
      expectSubscriptions(source.subscriptions).toBe(['^----!', '------^-----------!']);
      expect(opened).toBe(2);
    });
  });

  it('gives an error to every read that shares the catch-up, and the next read starts anew', () => {
    scheduler.run(({ cold, expectObservable }) => {
      const error = new NetworkError({ url: 'u', cause: new Error('down') });
      const failing = cold('--a-#', { a }, error);
      const open = opener(failing);
      expectObservable(catchUp('k', open, ignore)).toBe('--a-#', { a }, error);
      expectObservable(catchUp('k', open, ignore), '-^').toBe('--a-#', { a }, error);
      expectObservable(catchUp('k', open, ignore), '-----^').toBe('-------a-#', { a }, error);
      scheduler.flush();
      expect(opened).toBe(2);
    });
  });

  it('never mixes keys, and a read without a key always reads on its own', () => {
    scheduler.run(({ cold, expectObservable }) => {
      const source = cold('--(c|)', { c });
      const open = opener(source);
      expectObservable(catchUp('k1', open, ignore)).toBe('--(c|)', { c });
      expectObservable(catchUp('k2', open, ignore)).toBe('--(c|)', { c });
      expectObservable(catchUp(undefined, open, ignore)).toBe('--(c|)', { c });
      expectObservable(catchUp(undefined, open, ignore)).toBe('--(c|)', { c });
      scheduler.flush();
      expect(opened).toBe(4);
    });
  });

  it("tells every read the catch-up's connection states: the latest at once to one that joins, then each as it comes", () => {
    scheduler.run(({ cold, expectObservable }) => {
      const told: Array<[string, number, ConnectionState['status']]> = [];
      const source = cold('--a-(c|)', { a, c });
      const open = (states: ConnectionStateObserver) => {
        states.next(connecting);
        scheduler.schedule(() => states.next(catchingUp), 2);
        return source;
      };
      const teller = (name: string) => (state: ConnectionState) => told.push([name, scheduler.now(), state.status]);
      expectObservable(catchUp('k', open, teller('first'))).toBe('--a-(c|)', { a, c });
      expectObservable(catchUp('k', open, teller('second')), '-^').toBe('--a-(c|)', { a, c });
      scheduler.flush();
      expect(told).toEqual([
        ['first', 0, 'connecting'],
        ['second', 1, 'connecting'],
        ['first', 2, 'catching-up'],
        ['second', 2, 'catching-up'],
      ]);
    });
  });

  it('stops telling a read that left', () => {
    scheduler.run(({ cold, expectObservable }) => {
      const told: string[] = [];
      const source = cold('----(c|)', { c });
      const open = (states: ConnectionStateObserver) => {
        scheduler.schedule(() => states.next(catchingUp), 3);
        return source;
      };
      expectObservable(
        catchUp('k', open, () => told.push('first')),
        '^-!',
      );
      expectObservable(catchUp('k', open, () => told.push('second'))).toBe('----(c|)', { c });
      scheduler.flush();
      expect(told).toEqual(['second']);
    });
  });
});
