import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { join } from 'node:path';

export interface FeedServer {
  readonly url: string;
  close(): Promise<void>;
}

/** A free loopback port: bound, read, released. */
async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/**
 * The example's own server (examples/angular-feed/dist/server/server.mjs,
 * from `npm run example:build`): server rendering with @angular/ssr, in a
 * child process, reading the streams server at `streamsUrl`.
 */
export async function startFeedServer(root: string, streamsUrl: string): Promise<FeedServer> {
  const port = await freePort();
  const child: ChildProcess = spawn(process.execPath, [join(root, 'examples/angular-feed/dist/server/server.mjs')], {
    env: { ...process.env, PORT: String(port), STREAMS_URL: streamsUrl },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stderr!.on('data', (data: Buffer) => (output += data.toString()));
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`the feed server did not start within 15 s:\n${output}`)), 15_000);
    child.stdout!.on('data', (data: Buffer) => {
      output += data.toString();
      if (output.includes('listening on')) {
        clearTimeout(timer);
        resolve();
      }
    });
    child.once(
      'exit',
      (code) => (clearTimeout(timer), reject(new Error(`the feed server exited (${code}):\n${output}`))),
    );
  });
  return {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}
