// A build of the SDK from another commit, to run beside this one in the same
// bench run: BENCH_BASELINE names a checkout of that commit, built
// (npm ci && npm run build there). Each round then runs the baseline and this
// build back to back, so their ratio is paired like every other.
//
//   git worktree add /tmp/sdk-before <commit> && (cd /tmp/sdk-before && npm ci && npm run build)
//   BENCH_BASELINE=/tmp/sdk-before BENCH_ONLY=producer npm run bench
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

/** The baseline checkout's directory, or undefined when BENCH_BASELINE is not set. */
export const baselineDir = process.env.BENCH_BASELINE ? resolve(process.env.BENCH_BASELINE) : undefined;

/**
 * The SDK of a built checkout, `undiciTransport` included: its main and undici entries
 * (dist/esm/index.node.js, else index.js, and undici.js), or, in builds from before the undici entry,
 * dist/esm/index.node.js, which had both.
 */
export async function loadSdk(dir) {
  const at = (file) => join(dir, 'dist/esm', file);
  const load = (file) => import(pathToFileURL(at(file)).href);
  // The main entry as Node resolves it (index.node.js: the producer's running code loaded with it), where there is one.
  const main = existsSync(at('index.node.js')) ? 'index.node.js' : 'index.js';
  if (existsSync(at('undici.js'))) return { ...(await load(main)), ...(await load('undici.js')) };
  if (existsSync(at('index.node.js'))) return load('index.node.js');
  throw new Error(`${dir} has no build: run npm ci && npm run build there`);
}

/**
 * A producer for the stream at `url`, with the API of `sdk`'s build:
 * `idempotentProducer(stream, id)`, or `stream.producer(id)` in builds from
 * before the functional API.
 */
export function openProducer(sdk, client, url, producerId, options) {
  const stream = client.stream(url, { contentType: 'application/json' });
  return sdk.idempotentProducer
    ? sdk.idempotentProducer(stream, producerId, options)
    : stream.producer(producerId, options);
}

/** Delivers everything and stops `producer`: `finish()`, or `close()` in builds from before it. */
export function finishProducer(producer) {
  return producer.finish ? producer.finish() : producer.close();
}

/** The baseline's module and a short name for it ("before 26bc98a"); undefined without BENCH_BASELINE. */
export async function loadBaseline() {
  if (!baselineDir) return undefined;
  const sdk = await loadSdk(baselineDir);
  return { sdk, name: `before ${commitOf(baselineDir)}` };
}

/** The short commit of a checkout ("?" when git cannot tell). */
export function commitOf(dir) {
  try {
    const dirty = execFileSync('git', ['-C', dir, 'status', '--porcelain', '--untracked-files=no', '--', 'lib'], {
      encoding: 'utf8',
    }).trim()
      ? '+changes'
      : '';
    return execFileSync('git', ['-C', dir, 'rev-parse', '--short', 'HEAD'], { encoding: 'utf8' }).trim() + dirty;
  } catch {
    return '?';
  }
}
