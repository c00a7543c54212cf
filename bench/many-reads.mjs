// Many live reads (issue #13), ours beside @durable-streams/client in one run:
// (a) 300 live readers of one stream in one process, 50 appends, long-poll
//     and SSE: deliveries, client CPU per delivery, append-to-delivery
//     latency, heap allocated while measuring and retained, and live
//     requests for the stream at the server;
// (c) 10 000 live readers over 1 000 streams, one client (issue #23): deliveries,
//     live requests, p99 latency and RSS growth; the reference beside ours at
//     a tenth of the size, which it finishes (many-streams-worker.mjs);
// (b) 100 long-poll readers (a client each, as separate viewers) behind nginx
//     with proxy_cache_lock: deliveries and origin requests per append;
// and, to explain (a), one live reader alone: what each live request costs.
// Each contender runs in a fresh process (many-reads-worker.mjs); the origin
// (many-reads-server.mjs) counts requests with the server's request hook and
// appends the messages itself. Ratios are paired: each round runs both
// contenders back to back (in turn first), and the median of the rounds'
// ratios is reported with their range.
import { fork } from 'node:child_process';
import { once } from 'node:events';
import os from 'node:os';
import { fileURLToPath } from 'node:url';
import { NGINX, startCachingNginx } from './many-reads-nginx.mjs';

const env = (name, fallback) => process.env[name] ?? fallback;
const READERS = Number(env('BENCH_MANY_READERS', 300));
const CDN_READERS = Number(env('BENCH_MANY_CDN_READERS', 100));
const MESSAGES = Number(env('BENCH_MANY_MESSAGES', 50));
const INTERVAL_MS = Number(env('BENCH_MANY_INTERVAL_MS', 100));
/** Appends before the measured ones, at the same pace: the readers' code is warm (optimized) when measuring starts, as in a long-running app. */
const WARMUP = Number(env('BENCH_MANY_WARMUP', 20));
const ROUNDS = Number(env('BENCH_RUNS', 3));
const MODES = env('BENCH_MANY_MODES', 'long-poll,sse').split(',');
const PARTS = env('BENCH_MANY_PARTS', 'direct,single,scale,cdn').split(',');
/** The many-streams case: ours at full size, then ours and the reference at a size the reference finishes. */
const SCALE_STREAMS = Number(env('BENCH_SCALE_STREAMS', 1000));
const SCALE_REFERENCE_STREAMS = Number(env('BENCH_SCALE_REFERENCE_STREAMS', 100));
const SCALE_PER_STREAM = Number(env('BENCH_SCALE_PER_STREAM', 10));
const SCALE_MESSAGES = Number(env('BENCH_SCALE_MESSAGES', 5));
const SCALE_INTERVAL_MS = Number(env('BENCH_SCALE_INTERVAL_MS', 1000));
const SCALE_MODES = env('BENCH_SCALE_MODES', 'long-poll,sse').split(',');
/** Which of the two runs: `full` (ours alone at full size), `paired` (ours beside the reference at its size). */
const SCALE_RUNS = env('BENCH_SCALE_RUNS', 'full,paired').split(',');
/** How long deliveries may lag behind the last append before the run is reported as it stands. */
const DEADLINE_MS = Number(env('BENCH_MANY_DEADLINE_MS', 20_000));

const CONTENDERS = [
  ['ours', 'durable-streams-rx (undici)'],
  ['reference', '@durable-streams/client'],
];
const here = (file) => fileURLToPath(new URL(file, import.meta.url));
const load = () =>
  os
    .loadavg()
    .map((value) => value.toFixed(2))
    .join(', ');

/** A child process spoken to by IPC; `ask` sends a command and resolves with its answer. */
function child(file, args, execArgv = []) {
  const proc = fork(here(file), args, { execArgv, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const inbox = [];
  const waiters = [];
  proc.on('message', (message) => {
    const waiter = waiters.find((w) => w.match(message));
    if (waiter) {
      waiters.splice(waiters.indexOf(waiter), 1);
      waiter.resolve(message);
    } else inbox.push(message);
  });
  const exited = once(proc, 'exit');
  /** The next message `match` accepts, within `timeoutMs` (then undefined). */
  const receive = (match, timeoutMs = 60_000) => {
    const queued = inbox.findIndex(match);
    if (queued >= 0) return Promise.resolve(inbox.splice(queued, 1)[0]);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        waiters.splice(waiters.indexOf(waiter), 1);
        resolve(undefined);
      }, timeoutMs);
      const waiter = { match, resolve: (message) => (clearTimeout(timer), resolve(message)) };
      waiters.push(waiter);
      exited.then(([code]) => reject(new Error(`${file} exited (${code}) while awaited`)));
    });
  };
  let nextId = 0;
  const ask = async (command) => {
    const id = nextId++;
    proc.send({ id, ...command });
    const answer = await receive((message) => message.id === id);
    if (answer?.error) throw new Error(answer.error);
    return answer;
  };
  return { process: proc, receive, ask, exited };
}

let streams = 0;

/**
 * One contender's run: subscribe, warm up, then the measured appends; its
 * worker's report and the server's counts. `group` is the number of streams
 * (a group `${path}-i`) or undefined for one stream; `workerArgs(url)` the
 * worker's arguments after contender and mode.
 */
async function measure(
  server,
  { contender, mode, origin, worker: file, workerArgs, group, warmup, messages, intervalMs, wait },
) {
  const path = `many-reads-${process.pid}-${streams++}`;
  const target = { path, streams: group };
  await server.ask({ cmd: 'create', ...target });
  const worker = child(
    file,
    [contender, mode, ...workerArgs(`${origin}/v1/stream/${path}`)],
    [
      '--expose-gc',
      // e.g. BENCH_MANY_WORKER_ARGS='--cpu-prof --cpu-prof-dir=/tmp/prof' to see where a contender's time goes.
      ...env('BENCH_MANY_WORKER_ARGS', '').split(' ').filter(Boolean),
    ],
  );
  try {
    if (!(await worker.receive((m) => m.subscribed, wait.subscribed)))
      throw new Error(`${contender} ${mode}: the readers did not subscribe within ${wait.subscribed} ms`);
    await server.ask({ cmd: 'append', ...target, count: warmup, intervalMs, from: -warmup });
    if (!(await worker.receive((m) => m.warm, wait.warm)))
      throw new Error(`${contender} ${mode}: the warm-up messages did not reach every reader within ${wait.warm} ms`);
    await server.ask({ cmd: 'count', ...target });
    worker.process.send('start');
    await worker.receive((m) => m.started);
    await server.ask({ cmd: 'append', ...target, count: messages, intervalMs, from: 0 });
    await worker.receive((m) => m.delivered, DEADLINE_MS);
    worker.process.send('report');
    const { report } = await worker.receive((m) => m.report);
    const counts = await server.ask({ cmd: 'stats', ...target });
    return { ...report, ...counts };
  } finally {
    if (worker.process.connected) worker.process.send('stop');
    await Promise.race([worker.exited, new Promise((resolve) => setTimeout(resolve, 5_000))]);
    if (worker.process.exitCode === null) worker.process.kill('SIGKILL');
  }
}

/** The 300-reader and CDN cases: readers of one stream (many-reads-worker.mjs). */
const oneStream = ({ readers, clients }) => ({
  worker: './many-reads-worker.mjs',
  workerArgs: (url) => [url, String(readers), String(MESSAGES), clients, String(WARMUP)],
  warmup: WARMUP,
  messages: MESSAGES,
  intervalMs: INTERVAL_MS,
  wait: { subscribed: 60_000, warm: 30_000 },
});

const median = (values) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
};
const ratio = (rounds, pick) => {
  const values = rounds.map(([ours, reference]) => pick(ours) / pick(reference));
  return `${median(values).toFixed(3)}x (rounds ${Math.min(...values).toFixed(3)}-${Math.max(...values).toFixed(3)}x)`;
};
const mib = (bytes) => (bytes / 1024 / 1024).toFixed(1);
const us = (ms) => (ms * 1000).toFixed(1);

/** Runs every round of one case, contenders in turn first; prints per-contender medians and paired ratios. */
async function compare(server, title, options, print, { contenders = CONTENDERS, rounds: count = ROUNDS } = {}) {
  console.log(`\n${title}\n  load at start: ${load()}`);
  const rounds = [];
  for (let round = 0; round < count; round++) {
    const order = round % 2 === 0 ? contenders : [...contenders].reverse();
    const results = {};
    for (const [contender] of order) results[contender] = await measure(server, { ...options, contender });
    rounds.push(contenders.map(([contender]) => results[contender]));
  }
  for (const [index, [, label]] of contenders.entries())
    print(
      label,
      rounds.map((round) => round[index]),
    );
  console.log(`  load at end: ${load()}`);
  return rounds;
}

const deliveredText = (results) => results.map((r) => `${r.delivered}/${r.expected}`).join(', ');
const mark = (ok) => (ok ? 'met' : 'MISSED');

async function direct(server, origin, mode, readers = READERS) {
  const rounds = await compare(
    server,
    `${readers} live reader${readers === 1 ? '' : 's'} of one stream in one process, ` +
      `${MESSAGES} appends every ${INTERVAL_MS} ms, ${mode}; ${ROUNDS} rounds, medians`,
    { mode, origin, ...oneStream({ readers, clients: 'one' }) },
    (label, results) => {
      const cpuPerDelivery = median(results.map((r) => r.cpuMs / Math.max(1, r.delivered)));
      const of = (field) => median(results.map((r) => r[field]));
      const anomalies = results.reduce((n, r) => n + r.anomalies, 0);
      console.log(
        `  ${label.padEnd(28)} delivered ${deliveredText(results)}; CPU ${us(cpuPerDelivery)} µs/delivery ` +
          `(${of('cpuMs').toFixed(0)} ms, ${of('systemCpuMs').toFixed(0)} of it in the kernel); ` +
          `latency p50 ${of('p50Ms').toFixed(1)} ms, p90 ${of('p90Ms').toFixed(1)} ms; ` +
          `heap allocated while measuring ${mib(of('allocatedBytes'))} MiB, retained ${mib(of('heapGrowthBytes'))} MiB; ` +
          `live requests at the server: ${of('peakOpenLive')} open at most, ` +
          `${of('live')} in all, ${of('connections')} new connections; order anomalies ${anomalies}`,
      );
    },
  );
  const ours = rounds.map(([o]) => o);
  // One reader: what one live request per append costs, for comparison; the targets are the many readers'.
  const target = (text) => (readers === 1 ? '' : ` (target ${text})`);
  console.log(
    `  CPU per delivery, ours / reference: ${ratio(rounds, (r) => r.cpuMs / Math.max(1, r.delivered))}${target('<= 0.1x')}`,
  );
  console.log(
    `  p50 append-to-delivery latency, ours / reference: ${ratio(rounds, (r) => r.p50Ms)}${target('<= 0.5x')}`,
  );
  if (readers === 1) return;
  console.log(`  heap allocated while measuring, ours / reference: ${ratio(rounds, (r) => r.allocatedBytes)}`);
  console.log(
    `  targets (ours): all delivered ${mark(ours.every((r) => r.delivered === r.expected))}, ` +
      `heap allocated < 10 MiB ${mark(ours.every((r) => r.allocatedBytes < 10 * 1024 * 1024))}, ` +
      `heap retained < 10 MiB ${mark(ours.every((r) => r.heapGrowthBytes < 10 * 1024 * 1024))}, ` +
      `<= 2 live requests open ${mark(ours.every((r) => r.peakOpenLive <= 2))}`,
  );
}

async function cdn(server, origin) {
  const nginx = await startCachingNginx(origin);
  try {
    await compare(
      server,
      `${CDN_READERS} long-poll readers (a client each) behind nginx with proxy_cache_lock, ` +
        `${MESSAGES} appends every ${INTERVAL_MS} ms; ${ROUNDS} rounds, medians`,
      { mode: 'long-poll', ...oneStream({ readers: CDN_READERS, clients: 'each' }), origin: nginx.origin },
      (label, results) => {
        const of = (field) => median(results.map((r) => r[field]));
        const cpuPerDelivery = median(results.map((r) => r.cpuMs / Math.max(1, r.delivered)));
        console.log(
          `  ${label.padEnd(28)} delivered ${deliveredText(results)}; ` +
            `origin live requests per append ${(of('live') / MESSAGES).toFixed(2)} ` +
            `(${of('live')} in all, ${of('requests')} reads); ${(of('batches') / CDN_READERS).toFixed(1)} responses per reader; ` +
            `latency p50 ${of('p50Ms').toFixed(1)} ms, p90 ${of('p90Ms').toFixed(1)} ms; CPU ${us(cpuPerDelivery)} µs/delivery`,
        );
      },
    );
  } finally {
    await nginx.stop();
  }
}

/**
 * Many streams, many readers each, one client: `streams` streams with
 * SCALE_PER_STREAM readers each (many-streams-worker.mjs), SCALE_MESSAGES
 * appends to every stream, one every SCALE_INTERVAL_MS (the origin posts
 * them four at a time). Ours alone at full size; ours beside the reference
 * at a size the reference finishes.
 */
async function manyStreams(server, origin, mode, streamCount, contenders) {
  const readers = streamCount * SCALE_PER_STREAM;
  const rounds = await compare(
    server,
    `${readers} live readers over ${streamCount} streams (${SCALE_PER_STREAM} each) in one process, one client, ` +
      `${SCALE_MESSAGES} appends to each stream every ${SCALE_INTERVAL_MS} ms, ${mode}; ` +
      `${contenders.length === 1 ? 1 : ROUNDS} round(s), medians`,
    {
      mode,
      origin,
      worker: './many-streams-worker.mjs',
      workerArgs: (url) => [url, String(streamCount), String(SCALE_PER_STREAM), String(SCALE_MESSAGES)],
      group: streamCount,
      warmup: 1,
      messages: SCALE_MESSAGES,
      intervalMs: SCALE_INTERVAL_MS,
      wait: { subscribed: 300_000, warm: 300_000 },
    },
    (label, results) => {
      const of = (field) => median(results.map((r) => r[field]));
      const anomalies = results.reduce((n, r) => n + r.anomalies, 0);
      console.log(
        `  ${label.padEnd(28)} delivered ${deliveredText(results)}; live requests at the server: ` +
          `${of('peakOpenLive')} open at most, ${of('live')} in all; latency p50 ${of('p50Ms').toFixed(1)} ms, ` +
          `p99 ${of('p99Ms').toFixed(1)} ms; RSS growth ${mib(of('rssGrowthBytes'))} MiB ` +
          `(${(of('rssGrowthBytes') / readers / 1024).toFixed(1)} KiB per reader; peak ${mib(of('peakRssGrowthBytes'))} MiB), ` +
          `heap retained ${mib(of('heapGrowthBytes'))} MiB; CPU ${us(median(results.map((r) => r.cpuMs / Math.max(1, r.delivered))))} µs/delivery; ` +
          `subscribed in ${(of('subscribeMs') / 1000).toFixed(1)} s; order anomalies ${anomalies}`,
      );
    },
    { contenders, rounds: contenders.length === 1 ? 1 : ROUNDS },
  );
  if (contenders.length === 1) {
    const ours = rounds.map(([o]) => o);
    console.log(
      `  targets (ours): all delivered ${mark(ours.every((r) => r.delivered === r.expected))}, ` +
        `one live request open per stream ${mark(ours.every((r) => r.peakOpenLive === streamCount))}, ` +
        `RSS growth < 150 MiB ${mark(ours.every((r) => r.rssGrowthBytes < 150 * 1024 * 1024))}`,
    );
    return;
  }
  console.log(`  RSS growth, ours / reference: ${ratio(rounds, (r) => r.rssGrowthBytes)}`);
  console.log(`  p99 append-to-delivery latency, ours / reference: ${ratio(rounds, (r) => r.p99Ms)}`);
  console.log(`  CPU per delivery, ours / reference: ${ratio(rounds, (r) => r.cpuMs / Math.max(1, r.delivered))}`);
}

export async function run() {
  const server = child('./many-reads-server.mjs', []);
  try {
    const { url: origin } = await server.receive((m) => m.url);
    console.log(
      `\nMany live reads: origin ${origin} (reference server, own process), node ${process.version}, ${os.cpus().length} CPUs`,
    );
    if (PARTS.includes('direct')) for (const mode of MODES) await direct(server, origin, mode);
    // What one live request per append costs each client: the part of the above that sharing cannot divide.
    if (PARTS.includes('single')) await direct(server, origin, 'long-poll', 1);
    if (PARTS.includes('scale'))
      for (const mode of SCALE_MODES) {
        if (SCALE_RUNS.includes('full')) await manyStreams(server, origin, mode, SCALE_STREAMS, CONTENDERS.slice(0, 1));
        if (SCALE_RUNS.includes('paired')) await manyStreams(server, origin, mode, SCALE_REFERENCE_STREAMS, CONTENDERS);
      }
    if (PARTS.includes('cdn')) {
      if (NGINX) await cdn(server, origin);
      else console.log('\n(nginx not installed: the CDN case is skipped; apt-get install nginx)');
    }
  } finally {
    server.process.disconnect();
    await server.exited;
  }
}

// Run alone: node --expose-gc bench/many-reads.mjs
if (process.argv[1] === fileURLToPath(import.meta.url)) await run();
