// Producer throughput: 200k JSON messages (~100 B) through our IdempotentProducer,
// @durable-streams/client's IdempotentProducer, and a bare loop POSTing pre-built
// 1 MiB JSON arrays (the limit), in one run on one server; then the memory bound:
// 1M appends with maxBufferedBytes 8 MiB against a sink server (producer-memory.mjs).
// Servers run in child processes (see harness.mjs): RSS and time are the client's.
import { DurableStream as RefStream, IdempotentProducer as RefProducer } from '@durable-streams/client';
import { DurableStreamsClient, undiciTransport } from 'durable-streams-rx';
import { firstValueFrom } from 'rxjs';
import { message, startServer, table, uniquePath } from './harness.mjs';

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
async function ours(client, url, options = {}) {
  const producer = client.stream(url, { contentType: 'application/json' }).producer('bench', { maxBufferedMessages: COUNT, ...options });
  await feed((value) => producer.append(value));
  await firstValueFrom(producer.close());
}

async function reference(url) {
  const producer = new RefProducer(new RefStream({ url, contentType: 'application/json' }), 'bench');
  await feed((value) => producer.append(JSON.stringify(value)));
  await producer.flush();
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

async function throughput(base) {
  const transport = undiciTransport();
  const client = new DurableStreamsClient({ baseUrl: base, transport });
  const bodies = prebuild();
  const cases = [
    // Bodies built before the clock starts: the server and HTTP alone.
    ['bare loop, pre-built 1 MiB arrays (limit)', (url) => bare(url, bodies)],
    ['durable-streams-rx IdempotentProducer', (url) => ours(client, url)],
    ['durable-streams-rx, maxBatchItems 10 000', (url) => ours(client, url, { maxBatchItems: 10_000 })],
    ['@durable-streams/client IdempotentProducer', (url) => reference(url)],
    // The same loop paying for JSON.stringify of every value, as a producer must.
    ['bare loop, serializing 1 MiB arrays', (url) => bare(url, prebuild())],
  ];
  const times = cases.map(() => []);
  // Rounds interleave the contenders, so drift (GC, JIT, a busy machine) hits each alike.
  for (let round = -1; round < RUNS; round++) {
    for (const [index, [name, fn]] of cases.entries()) {
      const url = `${base}/${uniquePath('bench-producer')}`;
      await create(url);
      const start = process.hrtime.bigint();
      await fn(url);
      const ms = Number(process.hrtime.bigint() - start) / 1e6;
      const stored = await count(url);
      if (stored !== COUNT) throw new Error(`${name} stored ${stored} of ${COUNT} messages`);
      await fetch(url, { method: 'DELETE' });
      gc?.();
      if (round >= 0) times[index].push(ms);
    }
  }
  await transport.close();
  const rows = cases.map(([name], index) => {
    const sorted = times[index].sort((a, b) => a - b);
    const ms = sorted[Math.floor(sorted.length / 2)];
    return { name, ms, rate: (COUNT / ms) * 1000 };
  });
  const how = slice === 0 ? 'appended in one burst' : `appended in slices of ${slice}`;
  table(`Producer, ${COUNT.toLocaleString('en-US')} JSON messages (~100 B) ${how}, median of ${RUNS} interleaved runs`, rows, 'msg');
  const [limit, mine, tuned, ref, serializing] = rows;
  const vsReference = ref.ms / mine.ms;
  const vsBare = limit.ms / mine.ms;
  console.log(`  ratio vs @durable-streams/client:    ${vsReference.toFixed(2)}x faster (target >= 1.5x)`);
  console.log(`  ratio vs bare loop, pre-built:       ${vsBare.toFixed(2)}x of the limit (target >= 0.8x)`);
  console.log(`  tuned (maxBatchItems 10 000):        ${(ref.ms / tuned.ms).toFixed(2)}x the reference, ${(limit.ms / tuned.ms).toFixed(2)}x of the limit`);
  console.log(`  ratio vs bare loop, serializing:     ${(serializing.ms / mine.ms).toFixed(2)}x`);
  return { vsReference, vsBare };
}

/**
 * The memory bound, measured in a fresh process (producer-memory.mjs) so
 * that nothing measured before has already grown the heap.
 */
async function memory() {
  const { execFileSync } = await import('node:child_process');
  const script = new URL('./producer-memory.mjs', import.meta.url).pathname;
  const output = execFileSync(process.execPath, ['--expose-gc', script], { encoding: 'utf8', env: process.env });
  process.stdout.write(output);
}

export async function run({ base }) {
  await memory();
  for (slice of SLICES) await throughput(base);
}
