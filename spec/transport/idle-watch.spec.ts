import { TestScheduler } from 'rxjs/testing';
import { watchIdle } from '../../lib/transport/idle-watch';
import { TimerCounter } from '../read/support/fake-read';

describe('watchIdle (virtual time)', () => {
  let scheduler: TestScheduler;
  beforeEach(() => {
    scheduler = new TestScheduler((a, b) => expect(a).toEqual(b));
  });

  it('fires once, idleMs after the start when nothing happens', () => {
    const fired: number[] = [];
    scheduler.run(() => {
      watchIdle(scheduler, 100, () => fired.push(scheduler.now()));
    });
    expect(fired).toEqual([100]);
  });

  it('is pushed back by activity: fires idleMs after the last touch', () => {
    const fired: number[] = [];
    scheduler.run(() => {
      const watch = watchIdle(scheduler, 100, () => fired.push(scheduler.now()));
      for (const at of [30, 60, 90, 150, 240]) scheduler.schedule(() => watch.touch(), at);
    });
    expect(fired).toEqual([340]);
  });

  it('holds one timer at a time, however often it is touched', () => {
    const counter = new TimerCounter(scheduler);
    let most = 0;
    scheduler.run(() => {
      const watch = watchIdle(counter, 100, () => undefined);
      for (let at = 1; at < 1_000; at++)
        scheduler.schedule(() => {
          watch.touch();
          most = Math.max(most, counter.pending);
        }, at);
    });
    expect(most).toBe(1);
    expect(counter.pending).toBe(0);
  });

  it('stop() cancels it: it never fires and leaves no timer', () => {
    const counter = new TimerCounter(scheduler);
    const fired: number[] = [];
    scheduler.run(() => {
      const watch = watchIdle(counter, 100, () => fired.push(scheduler.now()));
      scheduler.schedule(() => watch.touch(), 50);
      scheduler.schedule(() => {
        watch.stop();
        expect(counter.pending).toBe(0);
      }, 120);
    });
    expect(fired).toEqual([]);
    expect(counter.pending).toBe(0);
  });
});
