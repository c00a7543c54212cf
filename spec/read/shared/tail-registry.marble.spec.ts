import { map, type Observable } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { NetworkError } from '../../../lib/errors/client-errors';
import type { Checkpoint } from '../../../lib/protocol/offset';
import type { ReadStep } from '../../../lib/read/read-step';
import { TailRegistry } from '../../../lib/read/shared/tail-registry';
import { tailSnapshots } from '../../../lib/read/shared/tail-snapshot';

const step = (offset: string, payload = 'x'): ReadStep<string> => ({ payload, offset, upToDate: true, closed: false });
const a = step('2');
const b = step('3');
const c = step('4');

describe('TailRegistry (virtual time)', () => {
  let scheduler: TestScheduler;
  let registry: TailRegistry;
  let opened: string[];
  beforeEach(() => {
    scheduler = new TestScheduler((actual, expected) => expect(actual).toEqual(expected));
    registry = new TailRegistry();
    opened = [];
  });

  /** An `open` that logs the offset each new tail starts at. */
  const opener = (source: (from: Checkpoint) => Observable<ReadStep<string>>) => (from: Checkpoint) => {
    opened.push(from.offset);
    return tailSnapshots<string>(from, () => source(from));
  };

  it('runs one tail per key: a later subscriber gets the latest snapshot at once, then the same steps', () => {
    scheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
      const source = cold('-a--b--c', { a, b, c });
      const open = opener(() => source);
      expectObservable(registry.tail('k', { offset: '1' }, open)).toBe('SA--B--C', {
        S: { from: '1' },
        A: { from: '1', step: a },
        B: { from: '2', step: b },
        C: { from: '3', step: c },
      });
      expectObservable(registry.tail('k', { offset: '9' }, open), '---^').toBe('---AB--C', {
        A: { from: '1', step: a },
        B: { from: '2', step: b },
        C: { from: '3', step: c },
      });
      scheduler.flush();
      expect(opened).toEqual(['1']);
      expectSubscriptions(source.subscriptions).toBe('^');
    });
  });

  it('keeps the request while anyone stays; the last one out aborts it', () => {
    scheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
      const source = cold('-a--b--c', { a, b, c });
      const open = opener(() => source);
      expectObservable(registry.tail('k', { offset: '1' }, open), '^-----!');
      expectObservable(registry.tail('k', { offset: '1' }, open), '--^-------!');
      scheduler.flush();
      expectSubscriptions(source.subscriptions).toBe('^---------!');
      expect(registry.size).toBe(0);
    });
  });

  it('never mixes keys: each has its own request', () => {
    scheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
      const first = cold('-a', { a });
      const second = cold('-b', { b });
      expectObservable(
        registry.tail(
          'k1',
          { offset: '1' },
          opener(() => first),
        ),
      ).toBe('SA', { S: { from: '1' }, A: { from: '1', step: a } });
      expectObservable(
        registry.tail(
          'k2',
          { offset: '2' },
          opener(() => second),
        ),
      ).toBe('SB', { S: { from: '2' }, B: { from: '2', step: b } });
      scheduler.flush();
      expect(opened).toEqual(['1', '2']);
      expectSubscriptions(first.subscriptions).toBe('^');
      expectSubscriptions(second.subscriptions).toBe('^');
    });
  });

  it("starts a new tail from the next subscriber's offset once the last one has left", () => {
    scheduler.run(({ cold, expectObservable }) => {
      const open = opener((from) => cold('-a', { a: step(String(Number(from.offset) + 1)) }));
      expectObservable(registry.tail('k', { offset: '1' }, open), '^-!');
      expectObservable(registry.tail('k', { offset: '5' }, open), '----^').toBe('----SA', {
        S: { from: '5' },
        A: { from: '5', step: step('6') },
      });
      scheduler.flush();
      expect(opened).toEqual(['1', '5']);
    });
  });

  it("fails every subscriber with the tail's error, and forgets the tail before they hear of it", () => {
    const error = new NetworkError({ url: 'u', cause: new Error('gone') });
    scheduler.run(({ cold, expectObservable }) => {
      const open = opener(() => cold('-a-#', { a }, error));
      const tail = registry.tail('k', { offset: '1' }, open);
      expectObservable(tail).toBe('SA-#', { S: { from: '1' }, A: { from: '1', step: a } }, error);
      expectObservable(tail, '--^').toBe('--A#', { A: { from: '1', step: a } }, error);
      expectObservable(registry.tail('k', { offset: '2' }, open), '-----^').toBe(
        '-----SA-#',
        { S: { from: '2' }, A: { from: '2', step: a } },
        error,
      );
      scheduler.flush();
      expect(opened).toEqual(['1', '2']);
    });
  });

  it("lets the others read on when one subscriber's own code throws", () => {
    scheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
      const source = cold('-a--b--c', { a, b, c });
      const open = opener(() => source);
      const failing = registry.tail('k', { offset: '1' }, open).pipe(
        map((snapshot) => {
          if (snapshot.step === b) throw new Error('a bug in one subscriber');
          return snapshot.step?.offset ?? 'n';
        }),
      );
      expectObservable(failing).toBe('n2--#', { n: 'n', 2: '2' }, new Error('a bug in one subscriber'));
      expectObservable(
        registry.tail('k', { offset: '1' }, open).pipe(map((snapshot) => snapshot.step?.offset ?? 'n')),
      ).toBe('n2--3--4', { n: 'n', 2: '2', 3: '3', 4: '4' });
      scheduler.flush();
      expectSubscriptions(source.subscriptions).toBe('^');
    });
  });
});
