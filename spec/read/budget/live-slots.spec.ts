import { lockSlots, pageSlots, type LiveSlots } from '../../../lib/read/budget/live-slots';
import { originProtocol } from '../../../lib/read/budget/origin-protocol';
import { FakeLocks } from '../cross-tab/support/fake-tabs';
import { sleep } from '../../support/until';

describe.each<[string, () => { slots: LiveSlots; other?: LiveSlots }]>([
  ['in a page', () => ({ slots: pageSlots(2) })],
  [
    'with Web Locks, across tabs',
    () => {
      const locks = new FakeLocks();
      return { slots: lockSlots(locks, 'p', 2), other: lockSlots(locks, 'p', 2) };
    },
  ],
])('live slots (%s)', (_name, make) => {
  it('gives at most its size at once, and a freed slot again', async () => {
    const { slots, other = slots } = make();
    const first = await slots.take();
    const second = await other.take();
    expect(first).toBeDefined();
    expect(second).toBeDefined();
    expect(await slots.take()).toBeUndefined();
    expect(await other.take()).toBeUndefined();
    first!();
    await sleep(10);
    expect(await other.take()).toBeDefined();
  });

  it('is contended while a reader says it waits', async () => {
    const { slots, other = slots } = make();
    expect(await slots.contended()).toBe(false);
    const stop = other.wait();
    await sleep(10);
    expect(await slots.contended()).toBe(true);
    stop();
    await sleep(10);
    expect(await slots.contended()).toBe(false);
  });
});

describe('originProtocol', () => {
  const timing = (entries: Array<{ name: string; nextHopProtocol?: string }>) => ({ getEntriesByType: () => entries });

  it('knows a plain http: origin speaks HTTP/1.1 (browsers speak HTTP/2 over TLS only)', () => {
    expect(originProtocol('http://localhost:4437', undefined)).toBe('http/1.1');
  });

  it("learns an https: origin's protocol from the latest finished response from it", () => {
    const entries = [
      { name: 'https://a.test/v1/stream/x?offset=-1', nextHopProtocol: 'http/1.1' },
      { name: 'https://b.test/app.js', nextHopProtocol: 'h2' },
      { name: 'https://a.test/v1/stream/y', nextHopProtocol: 'h2' },
      { name: 'https://a.test/v1/stream/z', nextHopProtocol: '' },
    ];
    expect(originProtocol('https://a.test', timing(entries))).toBe('h2+');
    expect(originProtocol('https://a.test', timing(entries.slice(0, 2)))).toBe('http/1.1');
    expect(originProtocol('https://a.test', timing([{ name: 'https://a.test/x', nextHopProtocol: 'h3' }]))).toBe('h2+');
  });

  it('does not know an https: origin it has no timing of, nor one that hides it, nor another origin of the same prefix', () => {
    expect(originProtocol('https://a.test', undefined)).toBe('unknown');
    expect(originProtocol('https://a.test', timing([{ name: 'https://a.test/x', nextHopProtocol: '' }]))).toBe(
      'unknown',
    );
    expect(
      originProtocol('https://a.test', timing([{ name: 'https://a.test.evil/x', nextHopProtocol: 'http/1.1' }])),
    ).toBe('unknown');
  });
});
