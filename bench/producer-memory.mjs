// Producer memory: 1M JSON appends with maxBufferedBytes 8 MiB against a sink
// server (in a child process), peak RSS growth of this process. Run by
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

/** Appends `count` messages, waiting for room when the buffer is full; returns the peak RSS growth in bytes. */
async function appendAll(client, url, count) {
  const outbox = await outboxOption();
  const producer = openProducer(sdk, client, url, 'bench-memory', {
    maxBufferedBytes: 8 * 1024 * 1024,
    ...outbox.options,
  });
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
  await firstValueFrom(finishProducer(producer));
  outbox.dispose();
  clearInterval(sampler);
  peak = Math.max(peak, process.memoryUsage().rss);
  return { growth: peak - before, peak, waits };
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
  console.log(`  cold: ${mib(cold.growth)} MiB (${cold.waits} waits for room), peak RSS ${mib(cold.peak)} MiB`);
  const warm = await appendAll(client, `${sink.url}/sink`, MEMORY_COUNT);
  console.log(`  warm: ${mib(warm.growth)} MiB (${warm.waits} waits for room), peak RSS ${mib(warm.peak)} MiB`);
  await transport.close();
  await sink.stop();
}

await main();
