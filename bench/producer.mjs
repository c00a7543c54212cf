// Producer throughput: 200k JSON messages (~100 B) through our IdempotentProducer,
// @durable-streams/client's IdempotentProducer, and a bare loop POSTing pre-built
// 1 MiB JSON arrays (the limit), in one run on one server; then the memory bound:
// 1M appends with maxBufferedBytes 8 MiB against a sink server (producer-memory.mjs).
// Servers run in child processes (see harness.mjs): RSS and time are the client's.
// BENCH_BASELINE (see baseline.mjs) adds another build of the SDK to every round:
// a change measured against the commit before it, paired, in one run.
import { DurableStream as RefStream, IdempotentProducer as RefProducer } from '@durable-streams/client';
import * as thisSdk from 'durable-streams-rx';
import { DurableStreamsClient } from 'durable-streams-rx';
import { fileOutbox } from 'durable-streams-rx/node';
import { undiciTransport } from 'durable-streams-rx/undici';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { firstValueFrom } from 'rxjs';
import { Client } from 'undici';
import { baselineDir, finishProducer, loadBaseline, openProducer } from './baseline.mjs';
import { message, serverCpuMs, table, uniquePath } from './harness.mjs';

/** Forced collections between measurements, when node runs with --expose-gc (else none). */
const gc = globalThis.gc;

const COUNT = Number(process.env.BENCH_PRODUCER_COUNT ?? 200_000);
const RUNS = Number(process.env.BENCH_RUNS ?? 5);

async function create(url) {
  const response = await fetch(url, { method: 'PUT', headers: { 'content-type': 'application/json' } });
  if (!response.ok) throw new Error(`create failed: ${response.status}`);
}

async function count(url) {
  const response = await fetch(`${url}?offset=-1`);
  return JSON.parse(await response.text()).length;
}

/**
 * How values arrive, for every contender alike: slice 0 appends all in one
 * synchronous burst (nothing is sent until it ends); slice 1000 lets the
 * event loop turn after every 1 000 appends, as a live source would, so
 * sending overlaps appending. BENCH_PRODUCER_SLICE picks one; default both.
 */
const SLICES = process.env.BENCH_PRODUCER_SLICE === undefined ? [0, 1000] : [Number(process.env.BENCH_PRODUCER_SLICE)];
let slice = 0;
async function feed(append) {
  for (let i = 0; i < COUNT; i++) {
    append(message(i));
    if (slice > 0 && i % slice === slice - 1) await new Promise(setImmediate);
  }
}

/** Ours: defaults, but a buffer that holds the whole run (the reference's is unbounded). */
async function ours(client, url, options = {}, sdk = thisSdk) {
  const producer = openProducer(sdk, client, url, 'bench', { maxBufferedMessages: COUNT, ...options });
  await feed((value) => producer.append(value));
  await firstValueFrom(finishProducer(producer));
}

/** Ours with a fileOutbox in a fresh directory (removed after). */
async function withFileOutbox(client, url) {
  const dir = mkdtempSync(join(os.tmpdir(), 'bench-outbox-'));
  try {
    await ours(client, url, { outbox: fileOutbox(dir) });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

async function reference(url) {
  const producer = new RefProducer(new RefStream({ url, contentType: 'application/json' }), 'bench');
  await feed((value) => producer.append(JSON.stringify(value)));
  await producer.flush();
}

/**
 * The least any producer with our default batch shape can do: serialize at
 * each append, cut a JSON array every 1 000 values, keep 5 requests in
 * flight on one pipelined connection, with producer headers. No retries, no
 * buffer bound, no ordering on failure: a floor to measure our overhead by,
 * not a producer.
 */
async function handRolled(url) {
  const { origin, pathname } = new URL(url);
  const client = new Client(origin, { pipelining: 8 });
  const encoder = new TextEncoder();
  const waiting = [];
  let batch = [];
  let seq = 0;
  let inFlight = 0;
  let settled = 0;
  let drained;
  const pump = () => {
    while (inFlight < 5 && waiting.length > 0) {
      const [batchSeq, body] = waiting.shift();
      inFlight++;
      const headers = {
        'content-type': 'application/json',
        'producer-id': 'bench',
        'producer-epoch': '0',
        'producer-seq': String(batchSeq),
      };
      // Pipelined without waiting for each response's headers, as our producer's lane does.
      client
        .request({ path: pathname, method: 'POST', body, headers, idempotent: true, blocking: false })
        .then(async (response) => {
          await response.body.dump();
          if (response.statusCode >= 300) throw new Error(`hand-rolled POST failed: ${response.statusCode}`);
          inFlight--;
          settled++;
          if (settled === seq) drained?.();
          pump();
        });
    }
  };
  const cut = () => {
    if (batch.length === 0) return;
    waiting.push([seq++, encoder.encode(`[${batch.join(',')}]`)]);
    batch = [];
    pump();
  };
  await feed((value) => {
    batch.push(JSON.stringify(value));
    if (batch.length === 1000) cut();
  });
  cut();
  if (settled < seq) await new Promise((resolve) => (drained = resolve));
  await client.close();
}

/** The bare loop's bodies: 1 MiB JSON arrays of the same messages. */
function prebuild() {
  const bodies = [];
  let batch = [];
  let bytes = 0;
  for (let i = 0; i < COUNT; i++) {
    const text = JSON.stringify(message(i));
    batch.push(text);
    bytes += text.length + 1;
    if (bytes >= 1 << 20) {
      bodies.push(`[${batch.join(',')}]`);
      batch = [];
      bytes = 0;
    }
  }
  if (batch.length > 0) bodies.push(`[${batch.join(',')}]`);
  return bodies;
}

async function bare(url, bodies) {
  for (const body of bodies) {
    const response = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
    if (!response.ok) throw new Error(`bare POST failed: ${response.status}`);
    await response.arrayBuffer();
  }
}

/** The machine's load averages (1, 5, 15 min), as `uptime` prints them: figures from a busy machine say so. */
const load = () =>
  os
    .loadavg()
    .map((value) => value.toFixed(2))
    .join(', ');

/**
 * The contenders, by key. BENCH_PRODUCER_CASES (keys, comma-separated) runs
 * a subset: `limit,ours,before,reference` is the A/B of a change against
 * BENCH_BASELINE with the two targets' yardsticks.
 */
function contenders(client, baseline, bodies) {
  const all = [
    // Bodies built before the clock starts: the server and HTTP alone.
    ['limit', 'bare loop, pre-built 1 MiB arrays (limit)', (url) => bare(url, bodies)],
    ['ours', 'durable-streams-rx IdempotentProducer', (url) => ours(client, url)],
    ['tuned', 'durable-streams-rx, maxBatchItems 10 000', (url) => ours(client, url, { maxBatchItems: 10_000 })],
    // Issue #24: the price of an outbox, paired with 'ours'.
    [
      'memory-outbox',
      'durable-streams-rx, memoryOutbox()',
      (url) => ours(client, url, { outbox: thisSdk.memoryOutbox() }),
    ],
    ['file-outbox', 'durable-streams-rx, fileOutbox(dir)', (url) => withFileOutbox(client, url)],
    ...(baseline
      ? [
          ['before', `${baseline.name}, IdempotentProducer`, (url) => ours(baseline.client, url, {}, baseline.sdk)],
          [
            'before-tuned',
            `${baseline.name}, maxBatchItems 10 000`,
            (url) => ours(baseline.client, url, { maxBatchItems: 10_000 }, baseline.sdk),
          ],
        ]
      : []),
    ['reference', '@durable-streams/client IdempotentProducer', (url) => reference(url)],
    ['floor', 'hand-rolled loop, 1 000-item batches (floor for our defaults)', (url) => handRolled(url)],
    // The same loop paying for JSON.stringify of every value, as a producer must.
    ['serializing', 'bare loop, serializing 1 MiB arrays', (url) => bare(url, prebuild())],
  ];
  const only = process.env.BENCH_PRODUCER_CASES?.split(',').map((key) => key.trim());
  return only ? all.filter(([key]) => only.includes(key)) : all;
}

async function throughput({ base, pid }, baseline) {
  const transport = undiciTransport();
  const client = new DurableStreamsClient({ baseUrl: base, transport });
  const baselineTransport = baseline?.sdk.undiciTransport();
  const withClient = baseline && {
    ...baseline,
    client: new baseline.sdk.DurableStreamsClient({ baseUrl: base, transport: baselineTransport }),
  };
  const cases = contenders(client, withClient, prebuild());
  const times = cases.map(() => []);
  const cpu = cases.map(() => ({ client: [], server: [] }));
  const loadBefore = load();
  // Rounds interleave the contenders, so drift (GC, JIT, a busy machine) hits each alike.
  // Odd rounds run them in reverse order, so no contender always goes first or follows the same one.
  for (let round = -1; round < RUNS; round++) {
    const order = [...cases.entries()];
    if (round % 2 !== 0) order.reverse();
    for (const [index, [, name, fn]] of order) {
      const url = `${base}/${uniquePath('bench-producer')}`;
      await create(url);
      const serverBefore = serverCpuMs(pid);
      const cpuBefore = process.cpuUsage();
      const start = process.hrtime.bigint();
      await fn(url);
      const ms = Number(process.hrtime.bigint() - start) / 1e6;
      const used = process.cpuUsage(cpuBefore);
      const serverUsed = serverCpuMs(pid) - serverBefore;
      const stored = await count(url);
      if (stored !== COUNT) throw new Error(`${name} stored ${stored} of ${COUNT} messages`);
      await fetch(url, { method: 'DELETE' });
      gc?.();
      if (round >= 0) {
        times[index].push(ms);
        cpu[index].client.push((used.user + used.system) / 1000);
        cpu[index].server.push(serverUsed);
      }
    }
  }
  await transport.close();
  await baselineTransport?.close();
  const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
  const rows = cases.map(([, name], index) => {
    const ms = median(times[index]);
    return { name, ms, rate: (COUNT / ms) * 1000 };
  });
  const how = slice === 0 ? 'appended in one burst' : `appended in slices of ${slice}`;
  table(
    `Producer, ${COUNT.toLocaleString('en-US')} JSON messages (~100 B) ${how}, median of ${RUNS} interleaved runs`,
    rows,
    'msg',
  );
  console.log(`  load average (1, 5, 15 min): ${loadBefore} at the start, ${load()} at the end`);
  // CPU time (all threads) of the producing process, and of the server process: where the time went.
  console.log('  CPU, median ms: client (all threads) / server');
  for (const [index, [, name]] of cases.entries()) {
    console.log(
      `    ${name.padEnd(60)} ${median(cpu[index].client).toFixed(0).padStart(5)} / ${median(cpu[index].server).toFixed(0).padStart(4)}`,
    );
  }
  // Ratios are paired: each round's contenders ran back to back, so a round's
  // ratio cancels the drift of a busy machine; the median of those ratios is
  // steadier than a ratio of medians. The range shows how far single rounds go.
  const at = (key) => cases.findIndex(([k]) => k === key);
  const paired = (numerator, denominator, series = times) => {
    const [n, d] = [at(numerator), at(denominator)];
    if (n < 0 || d < 0) return undefined;
    const ratios = series[n].map((value, round) => value / series[d][round]);
    return { median: median(ratios), min: Math.min(...ratios), max: Math.max(...ratios) };
  };
  const show = (ratio) =>
    ratio ? `${ratio.median.toFixed(2)}x (rounds ${ratio.min.toFixed(2)}-${ratio.max.toFixed(2)})` : 'not run';
  const clientCpu = cpu.map((c) => c.client);
  console.log(`  Paired ratios, median of ${RUNS} rounds:`);
  console.log(`  ratio vs @durable-streams/client:    ${show(paired('reference', 'ours'))} faster (target >= 1.5x)`);
  console.log(`  ratio vs bare loop, pre-built:       ${show(paired('limit', 'ours'))} of the limit (target >= 0.8x)`);
  console.log(
    `  tuned (maxBatchItems 10 000):        ${show(paired('reference', 'tuned'))} the reference, ${show(paired('limit', 'tuned'))} of the limit`,
  );
  console.log(`  ratio vs bare loop, serializing:     ${show(paired('serializing', 'ours'))}`);
  // The outboxes' price: time (the target), and the client's CPU, steadier on a loaded machine.
  for (const [key, name, target] of [
    ['memory-outbox', 'memoryOutbox()', '1.15x'],
    ['file-outbox', 'fileOutbox(dir)', '2x'],
  ])
    console.log(
      `  ${name} (with / without): time ${show(paired(key, 'ours'))} (target < ${target}), client CPU ${show(paired(key, 'ours', clientCpu))}`,
    );
  console.log(`  ratio vs hand-rolled floor:          ${show(paired('floor', 'ours'))}`);
  console.log(
    `  the floor:                           ${show(paired('limit', 'floor'))} of the limit, ${show(paired('reference', 'floor'))} the reference`,
  );
  if (baseline) {
    // Above 1x: this build is faster (time), or uses less client CPU, than the baseline.
    console.log(`  this build vs ${baseline.name} (time before / time now, CPU before / CPU now; > 1x is faster):`);
    console.log(
      `    defaults:              time ${show(paired('before', 'ours'))}, client CPU ${show(paired('before', 'ours', clientCpu))}`,
    );
    console.log(
      `    maxBatchItems 10 000:  time ${show(paired('before-tuned', 'tuned'))}, client CPU ${show(paired('before-tuned', 'tuned', clientCpu))}`,
    );
    console.log(
      `    ${baseline.name} vs @durable-streams/client: ${show(paired('reference', 'before'))}, vs the limit: ${show(paired('limit', 'before'))}`,
    );
  }
}

/**
 * The memory bound, measured in a fresh process (producer-memory.mjs) so
 * that nothing measured before has already grown the heap.
 */
async function memory(baseline) {
  const { execFileSync } = await import('node:child_process');
  const script = new URL('./producer-memory.mjs', import.meta.url).pathname;
  const measure = (env) =>
    process.stdout.write(
      execFileSync(process.execPath, ['--expose-gc', script], { encoding: 'utf8', env: { ...process.env, ...env } }),
    );
  // With a baseline, the two builds alternate, each in a fresh process (BENCH_MEMORY_RUNS pairs).
  const pairs = baseline ? Number(process.env.BENCH_MEMORY_RUNS ?? 2) : 1;
  for (let pair = 0; pair < pairs; pair++) {
    measure({});
    if (baseline) measure({ BENCH_SDK: baselineDir, BENCH_SDK_LABEL: baseline.name });
  }
  // The outboxes keep memory bounded by maxBufferedBytes too (issue #24).
  if (!baseline) for (const outbox of ['memory', 'file']) measure({ BENCH_OUTBOX: outbox });
}

export async function run(server) {
  const baseline = await loadBaseline();
  console.log(
    `load average (1, 5, 15 min): ${load()}${baseline ? `; baseline: ${baseline.name} (${baselineDir})` : ''}`,
  );
  if (process.env.BENCH_PRODUCER_MEMORY !== '0') await memory(baseline);
  for (slice of SLICES) await throughput(server, baseline);
}
