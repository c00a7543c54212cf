import { fork, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** Options of {@link startRestartableServer}. */
export interface RestartableServerOptions {
  /** The server's long-poll hold, ms (also its SSE keep-alive interval). Default 2 000. */
  readonly longPollTimeoutMs?: number;
  /** Longest wait for the server to listen after a (re)start, ms. Default 15 000. */
  readonly startTimeoutMs?: number;
}

/**
 * The reference server, file-backed (`dataDir`), in a child process that a
 * spec can crash with SIGKILL and start again on the same port and data: a
 * real outage, or a server restart, as a client sees it. Everything written
 * before the kill and acknowledged is still there after the restart.
 *
 * ```ts
 * const server = await startRestartableServer();
 * const client = new DurableStreamsClient({ baseUrl: server.streamBase });
 * await server.outage(10_000); // SIGKILL, 10 s down, restarted
 * await server.close();        // in afterAll: kills it and removes its data
 * ```
 */
export interface RestartableServer {
  /** `http://127.0.0.1:<port>`, the same across restarts. */
  readonly url: string;
  /** `${url}/v1/stream`: the base URL streams live under. */
  readonly streamBase: string;
  /** Whether the server process is up. */
  readonly running: boolean;
  /** Kills the process with SIGKILL (no graceful shutdown) and waits until it is gone. */
  kill(): Promise<void>;
  /** Starts it again, same port and data; resolves once it listens. */
  restart(): Promise<void>;
  /** kill(), `downMs` of nothing listening, restart(). */
  outage(downMs: number): Promise<void>;
  /** Kills the process and removes the data directory. */
  close(): Promise<void>;
}

const CHILD = join(__dirname, 'restartable-server-child.cjs');

export async function startRestartableServer(options: RestartableServerOptions = {}): Promise<RestartableServer> {
  const longPollTimeoutMs = options.longPollTimeoutMs ?? 2_000;
  const startTimeoutMs = options.startTimeoutMs ?? 15_000;
  const dataDir = await mkdtemp(join(tmpdir(), 'ds-restartable-'));
  let child: ChildProcess | undefined;
  let port = 0;

  const start = async (): Promise<string> => {
    // The port can stay busy for a moment after a kill: retry the bind briefly.
    const deadline = Date.now() + startTimeoutMs;
    for (;;) {
      try {
        return await spawnOnce();
      } catch (error) {
        if (Date.now() > deadline || !/EADDRINUSE/.test(String(error))) throw error;
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    }
  };

  const spawnOnce = (): Promise<string> =>
    new Promise<string>((resolve, reject) => {
      const proc = fork(CHILD, [String(port), dataDir, String(longPollTimeoutMs)], {
        stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
        execArgv: [],
      });
      let out = '';
      let err = '';
      const timer = setTimeout(
        () => fail(new Error(`the reference server did not start within ${startTimeoutMs} ms: ${err}`)),
        startTimeoutMs,
      );
      const fail = (error: Error) => {
        clearTimeout(timer);
        proc.kill('SIGKILL');
        reject(error);
      };
      proc.stderr!.on('data', (chunk: Buffer) => (err += chunk.toString()));
      proc.stdout!.on('data', (chunk: Buffer) => {
        out += chunk.toString();
        const ready = /READY (\S+)/.exec(out);
        if (!ready) return;
        clearTimeout(timer);
        child = proc;
        resolve(ready[1]);
      });
      proc.once('exit', (code) => {
        if (child !== proc) fail(new Error(`the reference server exited (${code}) before listening: ${err}`));
      });
    });

  const kill = async (): Promise<void> => {
    const proc = child;
    if (!proc) return;
    child = undefined;
    if (proc.exitCode !== null || proc.signalCode !== null) return;
    await new Promise<void>((resolve) => {
      proc.once('exit', () => resolve());
      proc.kill('SIGKILL');
    });
  };

  const url = await start();
  port = Number(new URL(url).port);

  return {
    url,
    streamBase: `${url}/v1/stream`,
    get running() {
      return child !== undefined;
    },
    kill,
    restart: async () => {
      if (child) throw new Error('the server is running: kill() it first');
      await start();
    },
    outage: async (downMs) => {
      await kill();
      await new Promise((resolve) => setTimeout(resolve, downMs));
      await start();
    },
    close: async () => {
      await kill();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}
