// One contender of the many-reads benchmark in a fresh process (forked by
// many-reads.mjs with --expose-gc), so its CPU and heap are its own:
// `readers` live JSON reads of one stream, counting and timing what arrives.
// argv: contender (ours | reference), live mode (long-poll | sse), stream URL,
// readers, measured messages, clients (one | each: a client per reader, as
// separate viewers behind a CDN would be), warm-up messages.
// Messages: it sends { subscribed }, { warm } once every reader has the
// warm-up messages (seq -warmup to -1), { delivered } once every reader has every
// measured one; it answers 'start' with { started } and 'report' with the
// figures, and 'stop' by unsubscribing everything and exiting.
const [contender, mode, url, readersArg, messagesArg, clients = 'one', warmupArg = '1'] = process.argv.slice(2);
const READERS = Number(readersArg);
const MESSAGES = Number(messagesArg);
const WARMUP = Number(warmupArg);
const gc = globalThis.gc ?? (() => undefined);
/** Counts the heap allocated while measuring: what each collection found used, less what the one before left. */
const allocations = new (await import('node:v8')).GCProfiler();
let heapAtStart = 0;
let allocatedBytes;
function allocatedSinceStart() {
  const { statistics } = allocations.stop();
  let allocated = 0;
  let left = heapAtStart;
  for (const { beforeGC, afterGC } of statistics) {
    allocated += beforeGC.heapStatistics.usedHeapSize - left;
    left = afterGC.heapStatistics.usedHeapSize;
  }
  return allocated + process.memoryUsage().heapUsed - left;
}
const wallClock = () => performance.timeOrigin + performance.now();

const expected = READERS * MESSAGES;
const latencies = new Float64Array(expected);
let delivered = 0;
let warmed = 0;
let anomalies = 0;
/** Batches with messages that readers received while measuring (one per response, or per SSE data event). */
let batches = 0;
let measuring = false;
let cpuAtStart;
let cpuAtEnd;

/** What one reader does with each message: count it, time it, check the order. */
function reader() {
  let next = -WARMUP;
  return (item) => {
    if (item.seq !== next) anomalies++;
    next = item.seq + 1;
    if (item.seq < 0) {
      if (item.seq === -1 && ++warmed === READERS) process.send({ warm: true });
      return;
    }
    if (delivered < expected) latencies[delivered] = wallClock() - item.at;
    if (++delivered === expected) {
      cpuAtEnd = process.cpuUsage(cpuAtStart);
      allocatedBytes = allocatedSinceStart();
      void profile('stop').then(() => process.send({ delivered: true }));
    }
  };
}

// Loaded before the heap is measured: code is not what the readers cost.
const sdk = contender === 'ours' ? await import('durable-streams-rx') : undefined;
const { undiciTransport } = contender === 'ours' ? await import('durable-streams-rx/undici') : {};
const { stream } = contender === 'reference' ? await import('@durable-streams/client') : {};

function onBatch(items, onItem) {
  if (measuring && items.length > 0) batches++;
  for (const item of items) onItem(item);
}

/** Our SDK: one client (its live reads of the stream share one tail), or one per reader. */
async function subscribeOurs() {
  const transport = undiciTransport();
  const { origin, pathname } = new URL(url);
  const newClient = () => new sdk.DurableStreamsClient({ baseUrl: origin, transport });
  const shared = newClient();
  const subscriptions = [];
  for (let i = 0; i < READERS; i++) {
    const onItem = reader();
    subscriptions.push(
      sdk.readJson((clients === 'each' ? newClient() : shared).stream(pathname), { live: mode }).subscribe({
        next: (batch) => onBatch(batch.items, onItem),
        error: (error) => console.error(`ours: ${error}`),
      }),
    );
  }
  return async () => {
    subscriptions.forEach((subscription) => subscription.unsubscribe());
    await transport.close();
  };
}

/** @durable-streams/client: `stream()` per reader, JSON batches through `subscribeJson`. */
async function subscribeReference() {
  const controllers = Array.from({ length: READERS }, () => new AbortController());
  await Promise.all(
    controllers.map(async ({ signal }) => {
      const onItem = reader();
      const response = await stream({ url, offset: '-1', live: mode, json: true, signal, warnOnHttp: false });
      response.subscribeJson((batch) => onBatch(batch.items, onItem));
    }),
  );
  return async () => controllers.forEach((controller) => controller.abort());
}

/**
 * BENCH_MANY_PROFILE=<dir>: a CPU profile of the measured phase only (from
 * 'start' to the last delivery), written there as <contender>-<mode>-<pid>.cpuprofile.
 */
const profiler = process.env.BENCH_MANY_PROFILE
  ? await import('node:inspector/promises').then(({ Session }) => new Session())
  : undefined;
async function profile(action) {
  if (!profiler) return;
  if (action === 'start') {
    profiler.connect();
    await profiler.post('Profiler.enable');
    await profiler.post('Profiler.start');
    return;
  }
  const { profile: result } = await profiler.post('Profiler.stop');
  const { writeFileSync } = await import('node:fs');
  writeFileSync(
    `${process.env.BENCH_MANY_PROFILE}/${contender}-${mode}-${process.pid}.cpuprofile`,
    JSON.stringify(result),
  );
}

gc();
const heapBefore = process.memoryUsage().heapUsed;
const stop = contender === 'ours' ? await subscribeOurs() : await subscribeReference();
process.send({ subscribed: true });

/** The median (or another quantile) of the first `n` latencies. */
function quantile(n, q) {
  if (n === 0) return Number.NaN;
  const sorted = latencies.slice(0, n).sort();
  return sorted[Math.min(n - 1, Math.floor(q * n))];
}

process.on('message', async (command) => {
  if (command === 'start') {
    measuring = true;
    await profile('start');
    heapAtStart = process.memoryUsage().heapUsed;
    allocations.start();
    cpuAtStart = process.cpuUsage();
    process.send({ started: true });
  } else if (command === 'report') {
    const cpu = cpuAtEnd ?? process.cpuUsage(cpuAtStart);
    allocatedBytes ??= allocatedSinceStart();
    gc();
    const heapAfter = process.memoryUsage().heapUsed;
    const n = Math.min(delivered, expected);
    process.send({
      report: {
        delivered,
        expected,
        batches,
        anomalies,
        cpuMs: (cpu.user + cpu.system) / 1000,
        systemCpuMs: cpu.system / 1000,
        p50Ms: quantile(n, 0.5),
        p90Ms: quantile(n, 0.9),
        heapGrowthBytes: heapAfter - heapBefore,
        allocatedBytes,
        measuring,
      },
    });
  } else if (command === 'stop') {
    await stop();
    process.exit(0);
  }
});
