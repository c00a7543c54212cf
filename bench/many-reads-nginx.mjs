// Debian's nginx as a caching proxy for the many-reads benchmark: identical
// concurrent GETs (same offset and cursor) collapse into one origin request
// with `proxy_cache_lock`, as a CDN collapses long-polls. Started as the
// specs start it (spec/support/nginx-process.cjs); stop() ends it.
import nginxProcess from '../spec/support/nginx-process.cjs';

export const { NGINX } = nginxProcess;

/** Starts nginx in front of `upstream` (an origin URL); resolves with { origin, stop }. */
export function startCachingNginx(upstream) {
  return nginxProcess.startNginxProcess(upstream, {
    workerConnections: 4096,
    http: (dir) =>
      `proxy_cache_path ${dir}/cache levels=1:2 keys_zone=streams:10m max_size=256m inactive=10m use_temp_path=off;`,
    // One origin request per URL (offset and cursor) at a time; the others wait for it, as a CDN's request collapsing does.
    location: `proxy_cache streams;
      proxy_cache_key $request_uri;
      proxy_cache_valid 200 60s;
      proxy_cache_lock on;
      proxy_cache_lock_timeout 60s;
      proxy_cache_lock_age 60s;`,
  });
}
