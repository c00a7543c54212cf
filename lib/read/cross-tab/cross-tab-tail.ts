import { defer, filter, ignoreElements, map, merge, startWith, switchMap, tap, type Observable } from 'rxjs';
import type { Checkpoint } from '../../protocol/offset.js';
import type { DurableStreamError } from '../../errors/durable-stream-error.js';
import type { TailSnapshot } from '../shared/tail-snapshot.js';
import { leadership, type LockManagerLike } from './leadership.js';
import { snapshotFromWire, snapshotToWire } from './snapshot-wire.js';
import { messagesOf, openChannel, type ChannelLike } from './tab-channel.js';

/** What cross-tab sharing needs of the browser; found by `crossTabEnvironment()`. */
export interface CrossTabEnvironment {
  readonly locks: LockManagerLike;
  readonly channel: (name: string) => ChannelLike;
  /** Whether the page runs (see `pageActive`). */
  readonly active: Observable<boolean>;
  /** The class a reconnecting state's error is made again as, in the tabs that follow (see `snapshotFromWire`). */
  readonly errorType: typeof DurableStreamError;
}

/** What tabs tell each other about one tail. */
type TailMessage<P> = { readonly type: 'snapshot'; readonly snapshot: TailSnapshot<P> } | { readonly type: 'hello' };

const isMessage = (data: unknown): data is TailMessage<unknown> =>
  typeof data === 'object' &&
  data !== null &&
  ((data as { type?: unknown }).type === 'hello' || (data as { type?: unknown }).type === 'snapshot');

/**
 * One tail for all the tabs of an origin. The tab that holds the lock
 * `name` runs the tail (`local`) and posts every snapshot on the channel
 * `name`; the others follow the channel. When the holding tab goes (closed,
 * reloaded, frozen), the next tab in the lock's queue takes over from the
 * last snapshot it heard: its readers, and every other tab's, join its
 * steps with the same rule as in-process joiners, so nothing is skipped or
 * repeated even if tabs heard different last steps. A tab that starts
 * following says hello, and the holding tab answers with where it stands.
 * A page that is frozen or put in the back-forward cache gives the lock up
 * first (see `pageActive`), and says hello again when it comes back.
 */
export function crossTabTail<P>(
  name: string,
  start: Checkpoint,
  local: (from: Checkpoint) => Observable<TailSnapshot<P>>,
  env: CrossTabEnvironment,
): Observable<TailSnapshot<P>> {
  return openChannel(env.channel, name).pipe(
    switchMap((channel) => {
      // As `startSnapshot()` and `snapshotOffset()` (shared/tail-snapshot.ts) do: this module imports nothing of the
      // read path's initial chunks (see tabs-and-budget.ts).
      let latest: TailSnapshot<P> =
        start.cursor === undefined ? { from: start.offset } : { from: start.offset, cursor: start.cursor };
      const heard = messagesOf(channel).pipe(filter(isMessage)) as Observable<TailMessage<P>>;
      const post = (message: TailMessage<P>) =>
        channel.postMessage(
          message.type === 'snapshot' ? { type: 'snapshot', snapshot: snapshotToWire(message.snapshot) } : message,
        );
      // Whenever this tab starts following (first, after leading, back from frozen), it asks where the tail
      // stands: what it missed meanwhile then shows as a gap, which its readers catch up on their own.
      const follow = defer(() => {
        post({ type: 'hello' });
        return heard.pipe(
          filter((message): message is Extract<TailMessage<P>, { type: 'snapshot' }> => message.type === 'snapshot'),
          map((message) => snapshotFromWire(message.snapshot, env.errorType)),
        );
      });
      const lead = defer(() => {
        const from = latest.step?.offset ?? latest.from;
        const cursor = latest.step?.cursor ?? latest.cursor;
        const answerHellos = heard.pipe(
          filter((message) => message.type === 'hello'),
          tap(() => post({ type: 'snapshot', snapshot: latest })),
          ignoreElements(),
        );
        return merge(
          local(cursor === undefined ? { offset: from } : { offset: from, cursor }).pipe(
            tap((snapshot) => post({ type: 'snapshot', snapshot })),
          ),
          answerHellos,
        );
      });
      // Follow until this tab holds the lock, then lead; a page put away gives the lock up and follows.
      const contend = leadership(env.locks, name).pipe(
        map(() => true),
        startWith(false),
        switchMap((leading) => (leading ? lead : follow)),
      );
      const roles = env.active.pipe(switchMap((active) => (active ? contend : follow)));
      return roles.pipe(tap((snapshot) => (latest = snapshot)));
    }),
  );
}
