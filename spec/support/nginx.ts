import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { refusedPort } from './real-server';

/** Debian's nginx, where it is installed (`apt-get install nginx`; .ci/run installs it). */
export const NGINX = ['/usr/sbin/nginx', '/usr/bin/nginx'].find((path) => existsSync(path));

/** Whether a spec must have nginx (CI says so): then a missing nginx fails it rather than skipping it. */
export const nginxRequired = process.env['DS_REQUIRE_NGINX'] === '1';

export interface Nginx {
  /** `http://127.0.0.1:<port>`, proxying to the upstream. */
  readonly origin: string;
  /** Stops nginx (the process and its workers) and removes its files. */
  stop(): Promise<void>;
}

/**
 * Starts nginx in front of `upstream` on a free loopback port, as a child
 * process in the foreground (`daemon off`), with its own files in a temporary
 * directory and the body limit a default install has (`client_max_body_size
 * 1m`, 1 048 576 bytes, answered with 413).
 */
export async function startNginx(upstream: string, bodyLimit = '1m'): Promise<Nginx> {
  if (!NGINX) throw new Error('nginx is not installed (apt-get install nginx)');
  const dir = mkdtempSync(join(tmpdir(), 'ds-nginx-'));
  for (const sub of ['body', 'proxy', 'fastcgi', 'uwsgi', 'scgi']) mkdirSync(join(dir, sub));
  const { host } = new URL(upstream);
  for (let tries = 0; ; tries++) {
    const port = await refusedPort();
    writeFileSync(join(dir, 'nginx.conf'), config(dir, port, host, bodyLimit));
    const child = spawn(NGINX, ['-p', dir, '-c', join(dir, 'nginx.conf'), '-e', join(dir, 'error.log')], { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    if (await listening(port, child)) return { origin: `http://127.0.0.1:${port}`, stop: () => stop(child, dir) };
    await stop(child, dir, false);
    // Another process took the port between its release and nginx's bind: try another.
    if (tries >= 3) {
      rmSync(dir, { recursive: true, force: true });
      throw new Error(`nginx did not start: ${stderr.trim()}`);
    }
  }
}

function config(dir: string, port: number, upstream: string, bodyLimit: string): string {
  // Run as root (CI containers), nginx hands its workers to nobody, who must reach the temporary files.
  const user = process.getuid?.() === 0 ? 'user root;' : '';
  return `${user}
daemon off;
master_process on;
worker_processes 1;
pid ${join(dir, 'nginx.pid')};
error_log ${join(dir, 'error.log')} warn;
events { worker_connections 64; }
http {
  access_log off;
  client_body_temp_path ${join(dir, 'body')};
  proxy_temp_path ${join(dir, 'proxy')};
  fastcgi_temp_path ${join(dir, 'fastcgi')};
  uwsgi_temp_path ${join(dir, 'uwsgi')};
  scgi_temp_path ${join(dir, 'scgi')};
  upstream streams { server ${upstream}; keepalive 8; }
  server {
    listen 127.0.0.1:${port};
    client_max_body_size ${bodyLimit};
    location / {
      proxy_pass http://streams;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_buffering off;
      proxy_read_timeout 120s;
    }
  }
}
`;
}

/** Whether nginx accepts connections on `port` within a few seconds (false if it exits first). */
async function listening(port: number, child: ChildProcess): Promise<boolean> {
  for (let waited = 0; waited < 5_000; waited += 50) {
    if (child.exitCode !== null) return false;
    const open = await new Promise<boolean>((resolve) => {
      const socket = connect(port, '127.0.0.1');
      socket.once('connect', () => (socket.destroy(), resolve(true)));
      socket.once('error', () => resolve(false));
    });
    if (open) return true;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return false;
}

async function stop(child: ChildProcess, dir: string, remove = true): Promise<void> {
  if (child.exitCode === null && child.signalCode === null) {
    const exited = new Promise((resolve) => child.once('exit', resolve));
    // SIGQUIT: a graceful stop of the master and its workers.
    child.kill('SIGQUIT');
    const timer = setTimeout(() => child.kill('SIGKILL'), 3_000);
    await exited;
    clearTimeout(timer);
  }
  if (remove) rmSync(dir, { recursive: true, force: true });
}

/** nginx's version line, for the spec's name. */
export function nginxVersion(): string {
  if (!NGINX) return 'nginx (not installed)';
  return spawnSync(NGINX, ['-v'], { encoding: 'utf8' }).stderr.trim();
}
