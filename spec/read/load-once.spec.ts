import { firstValueFrom } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { loadOnce } from '../../lib/read/client-reads';

/** How a client loads the code of its live reads (a lazy chunk): once, never waited on for good. */
describe('loadOnce', () => {
  it('loads on the first call only, and tells the value to every caller', async () => {
    const load = jest.fn(() => Promise.resolve('code'));
    const get = loadOnce(load, 1_000, new TestScheduler(() => undefined));
    expect(load).not.toHaveBeenCalled();
    const [first, second] = await Promise.all([firstValueFrom(get()), firstValueFrom(get())]);
    expect([first, second, await firstValueFrom(get())]).toEqual(['code', 'code', 'code']);
    expect(load).toHaveBeenCalledTimes(1);
  });

  it('tells undefined where the load failed, without loading again', async () => {
    const load = jest.fn(() => Promise.reject(new Error('Failed to fetch dynamically imported module')));
    const get = loadOnce(load, 1_000, new TestScheduler(() => undefined));
    expect(await firstValueFrom(get())).toBeUndefined();
    expect(await firstValueFrom(get())).toBeUndefined();
    expect(load).toHaveBeenCalledTimes(1);
  });

  it('tells undefined to a caller that waited its bound on a load that never settles (a stalled chunk request)', () => {
    const scheduler = new TestScheduler((actual, expected) => expect(actual).toEqual(expected));
    const get = loadOnce(() => new Promise<string>(() => undefined), 1_000, scheduler);
    scheduler.run(({ expectObservable }) => {
      expectObservable(get()).toBe('1000ms (u|)', { u: undefined });
    });
  });
});
