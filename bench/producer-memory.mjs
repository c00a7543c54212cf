// Producer memory: 1M JSON appends with maxBufferedBytes 8 MiB against a sink
// server (in a child process), peak RSS growth of this process, and what of it
// is live: a third run collects garbage each time the buffer is full and keeps
// the most heap and ArrayBuffer memory left after the collection. Run by
// producer.mjs in a fresh process, so no earlier work has grown the heap.
// BENCH_SDK (a built checkout's directory, see baseline.mjs) measures another build.
// BENCH_OUTBOX=memory|file gives the producer a memoryOutbox() or a fileOutbox() (issue #24).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { firstValueFrom } from 'rxjs';
import { finishProducer, loadSdk, openProducer } from './baseline.mjs';
import { message, startServer } from './harness.mjs';

const sdk = process.env.BENCH_SDK
  ? await loadSdk(process.env.BENCH_SDK)
  : { ...(await import('durable-streams-rx')), ...(await import('durable-streams-rx/undici')) };
const { DurableStreamsClient, undiciTransport } = sdk;
const OUTBOX = process.env.BENCH_OUTBOX;
const LABEL = `${process.env.BENCH_SDK_LABEL ?? 'this build'}${OUTBOX ? `, ${OUTBOX} outbox` : ''}`;

/** The outbox option of one run (and what removes a file outbox's directory). */
async function outboxOption() {
  if (OUTBOX === 'memory') return { options: { outbox: sdk.memoryOutbox() }, dispose: () => undefined };
  if (OUTBOX !== 'file') return { options: {}, dispose: () => undefined };
  const { fileOutbox } = await import('durable-streams-rx/node');
  const dir = mkdtempSync(join(tmpdir(), 'bench-outbox-'));
  return { options: { outbox: fileOutbox(dir) }, dispose: () => rmSync(dir, { recursive: true, force: true }) };
}

const gc = globalThis.gc;
const MEMORY_COUNT = Number(process.env.BENCH_PRODUCER_MEMORY_COUNT ?? 1_000_000);

/** Heap and ArrayBuffer bytes in use (ArrayBuffers hold the request bodies, off the heap). */
const used = ({ heapUsed, arrayBuffers }) => heapUsed + arrayBuffers;

/**
 * Appends `count` messages, waiting for room when the buffer is full; returns the peak RSS growth in bytes, and the
 * most heap and ArrayBuffer bytes above the start: with `live`, measured right after a full collection each time the
 * buffer is full (what is retained, not garbage waiting for a collection), else sampled as they are.
 */
async function appendAll(client, url, count, live = false) {
  const outbox = await outboxOption();
  const producer = openProducer(sdk, client, url, 'bench-memory', {
    maxBufferedBytes: 8 * 1024 * 1024,
    ...outbox.options,
  });
  gc?.();
  const start = process.memoryUsage();
  const before = start.rss;
  let peak = before;
  let peakUsed = used(start);
  const sample = () => {
    const now = process.memoryUsage();
    peak = Math.max(peak, now.rss);
    if (!live) peakUsed = Math.max(peakUsed, used(now));
  };
  const sampler = setInterval(sample, 5);
  let waits = 0;
  for (let i = 0; i < count; i++) {
    const value = message(i);
    if (!producer.tryAppend(value)) {
      // Backpressure: wait until what is buffered is acknowledged.
      waits++;
      if (live) {
        gc?.();
        peakUsed = Math.max(peakUsed, used(process.memoryUsage()));
      }
      await firstValueFrom(producer.flush());
      producer.append(value);
    }
    if ((i & 0x3fff) === 0) sample();
  }
  await firstValueFrom(finishProducer(producer));
  outbox.dispose();
  clearInterval(sampler);
  sample();
  return { growth: peak - before, peak, waits, used: peakUsed - used(start) };
}

async function main() {
  const sink = await startServer('sink');
  const transport = undiciTransport();
  const client = new DurableStreamsClient({ transport });
  const mib = (bytes) => (bytes / 1024 / 1024).toFixed(1);
  console.log(
    `\nProducer memory (${LABEL}), ${MEMORY_COUNT.toLocaleString('en-US')} appends with maxBufferedBytes 8 MiB (sink server), ` +
      'peak RSS growth (target < 64 MiB)',
  );
  // Cold: the first work of the process, so the growth includes V8 sizing its
  // young generation and compiling the code. Warm: the same run again.
  const cold = await appendAll(client, `${sink.url}/sink`, MEMORY_COUNT);
  // The warm run's growth depends on what RSS the cold run left (memory V8 kept, or returned to the system): its peak tells more.
  const show = (run) =>
    `${mib(run.growth)} MiB (${run.waits} waits for room), peak RSS ${mib(run.peak)} MiB, heap + ArrayBuffers up to +${mib(run.used)} MiB`;
  console.log(`  cold: ${show(cold)}`);
  const warm = await appendAll(client, `${sink.url}/sink`, MEMORY_COUNT);
  console.log(`  warm: ${show(warm)}`);
  // What is retained: garbage (acknowledged bodies promoted before a full collection frees them) left out.
  const live = await appendAll(client, `${sink.url}/sink`, MEMORY_COUNT, true);
  console.log(
    `  live: heap + ArrayBuffers after a full collection whenever the buffer is full, at most +${mib(live.used)} MiB (maxBufferedBytes 8 MiB)`,
  );
  await transport.close();
  await sink.stop();
}

await main();
