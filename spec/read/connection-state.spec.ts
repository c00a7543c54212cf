import { connectionStateTeller, sameConnectionState, type ConnectionState } from '../../lib/read/connection-state';
import { ServerError } from '../../lib/errors/http-errors';

describe('connection states', () => {
  const error = new ServerError({ url: 'u', status: 503 });

  it('tells each state once, only when it changes', () => {
    const told: ConnectionState[] = [];
    const { tell, done } = connectionStateTeller({ next: (state) => told.push(state) });
    const states: ConnectionState[] = [
      { status: 'connecting' },
      { status: 'catching-up' },
      { status: 'catching-up' },
      { status: 'live', mode: 'sse' },
      { status: 'live', mode: 'sse' },
      { status: 'live', mode: 'long-poll' },
      { status: 'reconnecting', attempt: 1, retryInMs: 100, error },
      { status: 'reconnecting', attempt: 1, retryInMs: 100, error },
      { status: 'reconnecting', attempt: 2, retryInMs: 200, error },
      { status: 'offline' },
      { status: 'offline' },
      { status: 'closed' },
    ];
    for (const state of states) tell(state);
    done!.unsubscribe();
    tell({ status: 'connecting' });
    expect(told.map((s) => s.status)).toEqual([
      'connecting',
      'catching-up',
      'live',
      'live',
      'reconnecting',
      'reconnecting',
      'offline',
      'closed',
    ]);
  });

  it('a new error at the same attempt is news', () => {
    const other = new ServerError({ url: 'u', status: 500 });
    expect(
      sameConnectionState(
        { status: 'reconnecting', attempt: 1, retryInMs: 1, error },
        { status: 'reconnecting', attempt: 1, retryInMs: 1, error: other },
      ),
    ).toBe(false);
  });

  it('without an observer, telling costs nothing', () => {
    const { tell, done } = connectionStateTeller(undefined);
    expect(done).toBeUndefined();
    expect(() => tell({ status: 'connecting' })).not.toThrow();
  });
});
