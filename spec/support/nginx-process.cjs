// Debian's nginx as a child process in the foreground (`daemon off`), with its
// own files in a temporary directory, in front of one upstream. Plain
// CommonJS so that the specs (spec/support/nginx.ts) and the benchmarks
// (bench/many-reads-nginx.mjs) start it the same way.
const { spawn } = require('node:child_process');
const { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } = require('node:fs');
const { connect, createServer } = require('node:net');
const { tmpdir } = require('node:os');
const { join } = require('node:path');

/** Debian's nginx, where it is installed (`apt-get install nginx`; .ci/run installs it). */
const NGINX = ['/usr/sbin/nginx', '/usr/bin/nginx'].find((path) => existsSync(path));

/** A loopback port nothing listens on right now. */
function freePort() {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address();
      probe.close(() => resolve(port));
    });
  });
}

function config(
  dir,
  port,
  upstream,
  { bodyLimit = '1m', workerConnections = 64, http = () => '', location = 'proxy_buffering off;' },
) {
  // Run as root (CI containers), nginx hands its workers to nobody, who must reach the temporary files.
  const user = process.getuid?.() === 0 ? 'user root;' : '';
  return `${user}
daemon off;
master_process on;
worker_processes 1;
pid ${join(dir, 'nginx.pid')};
error_log ${join(dir, 'error.log')} warn;
events { worker_connections ${workerConnections}; }
http {
  access_log off;
  client_body_temp_path ${join(dir, 'body')};
  proxy_temp_path ${join(dir, 'proxy')};
  fastcgi_temp_path ${join(dir, 'fastcgi')};
  uwsgi_temp_path ${join(dir, 'uwsgi')};
  scgi_temp_path ${join(dir, 'scgi')};
  ${http(dir)}
  upstream streams { server ${upstream}; keepalive 32; }
  server {
    listen 127.0.0.1:${port};
    client_max_body_size ${bodyLimit};
    location / {
      proxy_pass http://streams;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_read_timeout 120s;
      ${location}
    }
  }
}
`;
}

/** Whether nginx accepts connections on `port` within a few seconds (false if it exits first). */
async function listening(port, child) {
  for (let waited = 0; waited < 5_000; waited += 50) {
    if (child.exitCode !== null) return false;
    const open = await new Promise((resolve) => {
      const socket = connect(port, '127.0.0.1');
      socket.once('connect', () => (socket.destroy(), resolve(true)));
      socket.once('error', () => resolve(false));
    });
    if (open) return true;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return false;
}

async function stop(child, dir, remove = true) {
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

/**
 * Starts nginx in front of `upstream` (an origin URL) on a free loopback port.
 * Options: `bodyLimit` (`client_max_body_size`, default `1m` as a default
 * install), `workerConnections` (default 64), `http(dir)` (more `http`
 * directives; files under `dir`), `location` (more directives for
 * `location /`; default `proxy_buffering off;`). Resolves with `{ origin, stop }`.
 */
async function startNginxProcess(upstream, options = {}) {
  if (!NGINX) throw new Error('nginx is not installed (apt-get install nginx)');
  const dir = mkdtempSync(join(tmpdir(), 'ds-nginx-'));
  for (const sub of ['body', 'proxy', 'fastcgi', 'uwsgi', 'scgi']) mkdirSync(join(dir, sub));
  const { host } = new URL(upstream);
  for (let tries = 0; ; tries++) {
    const port = await freePort();
    writeFileSync(join(dir, 'nginx.conf'), config(dir, port, host, options));
    const child = spawn(NGINX, ['-p', dir, '-c', join(dir, 'nginx.conf'), '-e', join(dir, 'error.log')], {
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (chunk) => (stderr += chunk.toString()));
    if (await listening(port, child)) return { origin: `http://127.0.0.1:${port}`, stop: () => stop(child, dir) };
    await stop(child, dir, false);
    // Another process took the port between its release and nginx's bind: try another.
    if (tries >= 3) {
      rmSync(dir, { recursive: true, force: true });
      throw new Error(`nginx did not start: ${stderr.trim()}`);
    }
  }
}

module.exports = { NGINX, startNginxProcess };
