import { fork, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { join } from 'node:path';

/** What the server sees at one moment. */
export interface ServerCounts {
  /** TCP connections open. */
  readonly sockets: number;
  /** GET requests (reads), on the given stream path or on any, whose response has not closed. */
  readonly openReads: number;
  /** Those of them that are live (long-poll or SSE). */
  readonly openLive: number;
}

/** A reference server in a child process, watched from the server side: its sockets and its open reads. */
export interface WatchedServer {
  /** The base URL streams live under (`…/v1/stream`). */
  readonly base: string;
  counts(path?: string): Promise<ServerCounts>;
  close(): Promise<void>;
}

/**
 * Starts the reference server on a free loopback port, in a child process
 * (its wait timers for aborted reads do not keep the spec's process alive),
 * and counts at the server what clients leave behind: a spec that
 * unsubscribes can then check that no socket and no request stays open.
 */
export async function startWatchedServer(longPollTimeout = 2_000): Promise<WatchedServer> {
  const child: ChildProcess = fork(join(__dirname, 'watched-server-child.cjs'), [String(longPollTimeout)], {
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const [first] = (await once(child, 'message')) as [{ url: string }];
  let nextId = 0;
  const waiting = new Map<number, (counts: ServerCounts) => void>();
  child.on('message', (message: { id?: number } & ServerCounts) => {
    if (message.id === undefined) return;
    waiting.get(message.id)?.(message);
    waiting.delete(message.id);
  });
  return {
    base: `${first.url}/v1/stream`,
    counts: (path) =>
      new Promise((resolve) => {
        const id = nextId++;
        waiting.set(id, resolve);
        child.send({ id, path });
      }),
    close: async () => {
      const exited = once(child, 'exit');
      child.disconnect();
      await exited;
    },
  };
}
