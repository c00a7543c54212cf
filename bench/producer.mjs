// Producer throughput: 200k JSON messages (~100 B) through our IdempotentProducer,
// @durable-streams/client's IdempotentProducer, and a bare loop POSTing pre-built
// 1 MiB JSON arrays (the limit), in one run on one server; then the memory bound:
// 1M appends with maxBufferedBytes 8 MiB against a sink server.
import { createServer } from 'node:http';
import { DurableStream as RefStream, IdempotentProducer as RefProducer } from '@durable-streams/client';
import { DurableStreamsClient, undiciTransport } from 'durable-streams-rx';
import { firstValueFrom } from 'rxjs';
import { message, table, uniquePath } from './harness.mjs';

/** Forced collections between measurements, when node runs with --expose-gc (else none). */
const gc = globalThis.gc;

const COUNT = Number(process.env.BENCH_PRODUCER_COUNT ?? 200_000);
const RUNS = Number(process.env.BENCH_RUNS ?? 5);
const MEMORY_COUNT = Number(process.env.BENCH_PRODUCER_MEMORY_COUNT ?? 1_000_000);

async function create(url) {
  const response = await fetch(url, { method: 'PUT', headers: { 'content-type': 'application/json' } });
  if (!response.ok) throw new Error(`create failed: ${response.status}`);
}

async function count(url) {
  const response = await fetch(`${url}?offset=-1`);
  return JSON.parse(await response.text()).length;
}

/** Ours, defaults but a buffer that holds the whole run (the reference's is unbounded). */
async function ours(client, url) {
  const producer = client.stream(url, { contentType: 'application/json' }).producer('bench', { maxBufferedMessages: COUNT });
  for (let i = 0; i < COUNT; i++) producer.append(message(i));
  await firstValueFrom(producer.close());
}

async function reference(url) {
  const producer = new RefProducer(new RefStream({ url, contentType: 'application/json' }), 'bench');
  for (let i = 0; i < COUNT; i++) producer.append(JSON.stringify(message(i)));
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
  table(`Producer, ${COUNT.toLocaleString('en-US')} JSON messages (~100 B), median of ${RUNS} interleaved runs`, rows, 'msg');
  const [limit, mine, ref, serializing] = rows;
  const vsReference = ref.ms / mine.ms;
  const vsBare = limit.ms / mine.ms;
  console.log(`  ratio vs @durable-streams/client:    ${vsReference.toFixed(2)}x faster (target >= 1.5x)`);
  console.log(`  ratio vs bare loop, pre-built:       ${vsBare.toFixed(2)}x of the limit (target >= 0.8x)`);
  console.log(`  ratio vs bare loop, serializing:     ${(serializing.ms / mine.ms).toFixed(2)}x`);
  return { vsReference, vsBare };
}

/** An HTTP server that accepts every producer POST and keeps nothing: only the client's memory grows. */
async function startSink() {
  let offset = 0;
  const server = createServer((request, response) => {
    request.on('data', () => undefined);
    request.on('end', () => {
      offset++;
      response.writeHead(200, {
        'stream-next-offset': String(offset),
        'producer-epoch': request.headers['producer-epoch'] ?? '0',
        'producer-seq': request.headers['producer-seq'] ?? '0',
      });
      response.end();
    });
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${server.address().port}/sink`, stop: () => new Promise((resolve) => server.close(resolve)) };
}

/** Appends `count` messages, waiting for room when the buffer is full; returns the peak RSS growth in bytes. */
async function appendAll(client, url, count) {
  const producer = client.stream(url, { contentType: 'application/json' }).producer('bench-memory', { maxBufferedBytes: 8 * 1024 * 1024 });
  gc?.();
  const before = process.memoryUsage().rss;
  let peak = before;
  const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 5);
  let waits = 0;
  for (let i = 0; i < count; i++) {
    const value = message(i);
    if (!producer.tryAppend(value)) {
      // Backpressure: wait until what is buffered is acknowledged.
      waits++;
      await firstValueFrom(producer.flush());
      producer.append(value);
    }
    if ((i & 0x3fff) === 0) peak = Math.max(peak, process.memoryUsage().rss);
  }
  await firstValueFrom(producer.close());
  clearInterval(sampler);
  return { growth: Math.max(peak, process.memoryUsage().rss) - before, waits };
}

async function memory() {
  const sink = await startSink();
  const transport = undiciTransport();
  const client = new DurableStreamsClient({ transport });
  const mib = (bytes) => (bytes / 1024 / 1024).toFixed(1);
  console.log(`\nProducer memory, ${MEMORY_COUNT.toLocaleString('en-US')} appends with maxBufferedBytes 8 MiB (sink server), peak RSS growth (target < 64 MiB)`);
  // Cold: the first work of the process, so the growth includes V8 sizing its
  // young generation and compiling the code. Warm: the same run again.
  const cold = await appendAll(client, sink.url, MEMORY_COUNT);
  console.log(`  cold: ${mib(cold.growth)} MiB (${cold.waits} waits for room)`);
  const warm = await appendAll(client, sink.url, MEMORY_COUNT);
  console.log(`  warm: ${mib(warm.growth)} MiB (${warm.waits} waits for room)`);
  await transport.close();
  await sink.stop();
  return { growthMiB: warm.growth / 1024 / 1024 };
}

export async function run({ base }) {
  // Memory first: once the heap has grown for the throughput runs, RSS growth would read too low.
  const { growthMiB } = await memory();
  const ratios = await throughput(base);
  return { ...ratios, growthMiB };
}
