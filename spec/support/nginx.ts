import { spawnSync } from 'node:child_process';
import { NGINX, startNginxProcess } from './nginx-process.cjs';

/** Debian's nginx, where it is installed (`apt-get install nginx`; .ci/run installs it). */
export { NGINX };

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
export function startNginx(upstream: string, bodyLimit = '1m'): Promise<Nginx> {
  return startNginxProcess(upstream, { bodyLimit });
}

/** nginx's version line, for the spec's name. */
export function nginxVersion(): string {
  if (!NGINX) return 'nginx (not installed)';
  return spawnSync(NGINX, ['-v'], { encoding: 'utf8' }).stderr.trim();
}
