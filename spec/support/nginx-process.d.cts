/** Debian's nginx, where it is installed. */
export declare const NGINX: string | undefined;

export interface NginxProcessOptions {
  /** `client_max_body_size`; default `1m`. */
  readonly bodyLimit?: string;
  /** `worker_connections`; default 64. */
  readonly workerConnections?: number;
  /** More `http` directives; their files go under `dir`. */
  readonly http?: (dir: string) => string;
  /** More directives for `location /`; default `proxy_buffering off;`. */
  readonly location?: string;
}

/** Starts nginx in front of `upstream` on a free loopback port. */
export declare function startNginxProcess(
  upstream: string,
  options?: NginxProcessOptions,
): Promise<{ readonly origin: string; stop(): Promise<void> }>;
