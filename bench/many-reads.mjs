// Many live reads (issue #13), ours beside @durable-streams/client in one run:
// (a) 300 live readers of one stream in one process, 50 appends, long-poll
//     and SSE: deliveries, client CPU per delivery, append-to-delivery
//     latency, heap growth, and live requests for the stream at the server;
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
const PARTS = env('BENCH_MANY_PARTS', 'direct,single,cdn').split(',');
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

/** One contender's run: subscribe, warm up (WARMUP appends), then the measured appends; its worker's report and the server's counts. */
async function measure(server, { contender, mode, readers, origin, clients }) {
  const path = `many-reads-${process.pid}-${streams++}`;
  await server.ask({ cmd: 'create', path });
  const worker = child(
    './many-reads-worker.mjs',
    [contender, mode, `${origin}/v1/stream/${path}`, String(readers), String(MESSAGES), clients, String(WARMUP)],
    [
      '--expose-gc',
      // e.g. BENCH_MANY_WORKER_ARGS='--cpu-prof --cpu-prof-dir=/tmp/prof' to see where a contender's time goes.
      ...env('BENCH_MANY_WORKER_ARGS', '').split(' ').filter(Boolean),
    ],
  );
  try {
    await worker.receive((m) => m.subscribed);
    await server.ask({ cmd: 'append', path, count: WARMUP, intervalMs: INTERVAL_MS, from: -WARMUP });
    if (!(await worker.receive((m) => m.warm, 30_000)))
      throw new Error(`${contender} ${mode}: the warm-up messages did not reach every reader within 30 s`);
    await server.ask({ cmd: 'count', path });
    worker.process.send('start');
    await worker.receive((m) => m.started);
    await server.ask({ cmd: 'append', path, count: MESSAGES, intervalMs: INTERVAL_MS, from: 0 });
    await worker.receive((m) => m.delivered, DEADLINE_MS);
    worker.process.send('report');
    const { report } = await worker.receive((m) => m.report);
    const counts = await server.ask({ cmd: 'stats', path });
    return { ...report, ...counts };
  } finally {
    if (worker.process.connected) worker.process.send('stop');
    await Promise.race([worker.exited, new Promise((resolve) => setTimeout(resolve, 5_000))]);
    if (worker.process.exitCode === null) worker.process.kill('SIGKILL');
  }
}

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
async function compare(server, title, options, print) {
  console.log(`\n${title}\n  load at start: ${load()}`);
  const rounds = [];
  for (let round = 0; round < ROUNDS; round++) {
    const order = round % 2 === 0 ? CONTENDERS : [...CONTENDERS].reverse();
    const results = {};
    for (const [contender] of order) results[contender] = await measure(server, { ...options, contender });
    rounds.push([results.ours, results.reference]);
  }
  for (const [index, [, label]] of CONTENDERS.entries())
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
    { mode, readers, origin, clients: 'one' },
    (label, results) => {
      const cpuPerDelivery = median(results.map((r) => r.cpuMs / Math.max(1, r.delivered)));
      const of = (field) => median(results.map((r) => r[field]));
      const anomalies = results.reduce((n, r) => n + r.anomalies, 0);
      console.log(
        `  ${label.padEnd(28)} delivered ${deliveredText(results)}; CPU ${us(cpuPerDelivery)} µs/delivery ` +
          `(${of('cpuMs').toFixed(0)} ms, ${of('systemCpuMs').toFixed(0)} of it in the kernel); ` +
          `latency p50 ${of('p50Ms').toFixed(1)} ms, p90 ${of('p90Ms').toFixed(1)} ms; ` +
          `heap growth ${mib(of('heapGrowthBytes'))} MiB; live requests at the server: ${of('peakOpenLive')} open at most, ` +
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
  console.log(
    `  targets (ours): all delivered ${mark(ours.every((r) => r.delivered === r.expected))}, ` +
      `heap growth < 10 MiB ${mark(ours.every((r) => r.heapGrowthBytes < 10 * 1024 * 1024))}, ` +
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
      { mode: 'long-poll', readers: CDN_READERS, origin: nginx.origin, clients: 'each' },
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
