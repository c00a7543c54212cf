import { TestScheduler } from 'rxjs/testing';
import { readLoop } from '../../lib/read/read-loop';
import type { ReadStep } from '../../lib/read/read-step';
import { settleEach } from '../../lib/read/settle-each';
import { FakeReadSource, loopConfig, step } from './support/fake-read';

// The loop's backpressure seam (consume()): a step is emitted once settle(step) completed, and only then does the read go on.
describe('readLoop with settle (virtual time)', () => {
  let scheduler: TestScheduler;
  beforeEach(() => {
    scheduler = new TestScheduler((actual, expected) => expect(actual).toEqual(expected));
  });

  it('sends the next request only once the previous step settled, and emits each step as it settles', () => {
    scheduler.run(({ cold, expectObservable }) => {
      const a = step('1', 'x');
      const b = step('2', 'y', { upToDate: true });
      const c = step('3', 'z', { upToDate: true });
      const fake = new FakeReadSource(scheduler, (_req, i) => {
        if (i > 10) throw new Error('runaway requests');
        return scheduler.createColdObservable(['-a|', '-b|', '--c|'][i] ?? '-', { a, b, c });
      });
      const settled: string[] = [];
      const config = {
        ...loopConfig({ live: 'long-poll' }, scheduler),
        settle: settleEach((settling: ReadStep<string>) => {
          settled.push(`${settling.offset}@${scheduler.now()}`);
          return cold('5ms |');
        }),
      };
      expectObservable(readLoop(fake.open, config), '^ 30ms !').toBe('------a-----b------c', { a, b, c });
      scheduler.flush();
      // Each request waits for the step before it to settle (5 ms after its arrival).
      expect(fake.requests.map((request) => `${request.kind}@${request.offset}@${request.at}`)).toEqual([
        'catch-up@-1@0',
        'catch-up@1@6',
        'long-poll@2@12',
        'long-poll@3@19',
      ]);
      expect(settled).toEqual(['1@1', '2@7', '3@14']);
    });
  });

  it('ends the read with an error of settle, without retrying it', () => {
    scheduler.run(({ expectObservable }) => {
      const a = step('1', 'x');
      const fake = new FakeReadSource(scheduler, (_req, i) => {
        if (i > 10) throw new Error('runaway requests');
        return scheduler.createColdObservable('-a|', { a });
      });
      const boom = new Error('handler failed');
      const config = {
        ...loopConfig({ live: 'long-poll' }, scheduler),
        settle: settleEach<string>(() => scheduler.createColdObservable('2ms #', {}, boom)),
      };
      expectObservable(readLoop(fake.open, config), '^ 20ms !').toBe('---#', {}, boom);
      scheduler.flush();
      expect(fake.requests).toHaveLength(1);
    });
  });

  it('resolves Offset.now to the tail with a catch-up first: the first step it settles is a concrete position, before any data', () => {
    scheduler.run(({ cold, expectObservable }) => {
      const tail = step('7', '', { upToDate: true });
      const a = step('8', 'x', { upToDate: true });
      const fake = new FakeReadSource(scheduler, (_req, i) =>
        scheduler.createColdObservable(['-t|', '-a|'][i] ?? '-', { t: tail, a }),
      );
      const settled: string[] = [];
      const config = {
        ...loopConfig({ live: 'long-poll', from: 'now' }, scheduler),
        settle: settleEach((settling: ReadStep<string>) => {
          settled.push(settling.offset);
          return cold('|');
        }),
      };
      expectObservable(readLoop(fake.open, config), '^ 10ms !').toBe('-t-a', { t: tail, a });
      scheduler.flush();
      expect(fake.kinds()).toEqual(['catch-up@now', 'long-poll@7', 'long-poll@8']);
      expect(settled).toEqual(['7', '8']);
      // Without settle, a read from now goes live at once (no round trip only to learn the tail).
      const plain = new FakeReadSource(scheduler, () => scheduler.createColdObservable('-'));
      readLoop(plain.open, loopConfig({ live: 'long-poll', from: 'now' }, scheduler))
        .subscribe()
        .unsubscribe();
      expect(plain.kinds()).toEqual(['long-poll@now']);
    });
  });
});
