import { from, lastValueFrom, toArray } from 'rxjs';
import { ParseError } from '../../lib/errors/client-errors';
import { ProtocolError } from '../../lib/errors/protocol-error';
import { initialSseState, reduceSse, type SseState } from '../../lib/read/sse-events';
import { sseFrames } from '../../lib/read/sse-frames';

/** The typed errors the read path lends SSE parsing (its code loads in a chunk of its own). */
const SSE_ERRORS = { ParseError, ProtocolError };

const URL = 'http://ds.test/v1/stream/s';
const bytes = (text: string) => new TextEncoder().encode(text);
const data = (text: string) => `event: data\ndata: ${text}\n\n`;
const control = (offset: string) => `event: control\ndata: {"streamNextOffset":"${offset}"}\n\n`;

describe('SSE data between control events: linear in time, bounded in memory', () => {
  it('adding a data event shares what was pending instead of copying it (O(1) per event)', () => {
    let state: SseState = initialSseState('0');
    for (let n = 0; n < 3; n++) {
      const before = state.pending;
      state = reduceSse(state, { event: 'data', data: String(n) }, URL, SSE_ERRORS).state;
      expect(state.pending!.before).toBe(before);
    }
  });

  it('80 000 data events before one control event arrive whole and in order', async () => {
    const events = Array.from({ length: 80_000 }, (_, n) => data(`[${n}]`)).join('');
    const [frame] = await lastValueFrom(
      from([bytes(events + control('1'))]).pipe(sseFrames(URL, '0', SSE_ERRORS), toArray()),
    );
    expect(frame.data).toHaveLength(80_000);
    expect(frame.data[0]).toBe('[0]');
    expect(frame.data[79_999]).toBe('[79999]');
  });

  it('more than the limit without a control event is a ProtocolError naming the last offset', async () => {
    const chunk = bytes(data('x'.repeat(100)));
    const parts = [bytes(control('5')), ...Array.from({ length: 20 }, () => chunk)];
    const error = await lastValueFrom(from(parts).pipe(sseFrames(URL, '0', SSE_ERRORS, 1_000), toArray())).catch(
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(ProtocolError);
    expect(error).toMatchObject({ offset: '5' });
    expect((error as Error).message).toMatch(/More than 1000 characters of SSE data arrived without a control event/);
  });

  it('an endless line (no event ever completes) is bounded the same way', async () => {
    const parts = [bytes('event: data\ndata: '), ...Array.from({ length: 20 }, () => bytes('y'.repeat(100)))];
    await expect(
      lastValueFrom(from(parts).pipe(sseFrames(URL, '0', SSE_ERRORS, 1_000), toArray())),
    ).rejects.toBeInstanceOf(ProtocolError);
  });

  it('control events reset the count: any amount of data is fine when they come', async () => {
    const parts = Array.from({ length: 50 }, (_, n) => bytes(data('z'.repeat(100)) + control(String(n + 1))));
    const frames = await lastValueFrom(from(parts).pipe(sseFrames(URL, '0', SSE_ERRORS, 1_000), toArray()));
    expect(frames).toHaveLength(50);
  });
});
