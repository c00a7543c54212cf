// One contender of the many-streams case of the many-reads benchmark, in a
// fresh process (forked with --expose-gc): `perStream` live JSON reads of each
// of `streams` streams (`${url}-0` ...), all through one client, counting and
// timing what arrives and sampling the process's RSS.
// argv: contender (ours | reference), live mode (long-poll | sse), the
// streams' URL without the `-i` suffix, streams, readers per stream,
// measured messages per stream.
// Messages: it sends { subscribed }, { warm } once every reader has the
// warm-up message (seq -1) and { delivered } once every reader has every
// measured one (seq 0 to messages - 1); it answers 'start' with { started }
// and 'report' with the figures, and 'stop' by unsubscribing and exiting.
const [contender, mode, url, streamsArg, perStreamArg, messagesArg] = process.argv.slice(2);
const STREAMS = Number(streamsArg);
const PER_STREAM = Number(perStreamArg);
const MESSAGES = Number(messagesArg);
const READERS = STREAMS * PER_STREAM;
const gc = globalThis.gc ?? (() => undefined);
const wallClock = () => performance.timeOrigin + performance.now();

const expected = READERS * MESSAGES;
const latencies = new Float64Array(expected);
let delivered = 0;
let warmed = 0;
let anomalies = 0;
let cpuAtStart;
let cpuAtEnd;
let rssAtEnd;
let peakRss = 0;
const sampleRss = () => (peakRss = Math.max(peakRss, process.memoryUsage.rss()));

/** What one reader does with each message: count it, time it, check the order. */
function reader() {
  let next = -1;
  return (item) => {
    if (item.seq !== next) anomalies++;
    next = item.seq + 1;
    if (item.seq < 0) {
      if (++warmed === READERS) process.send({ warm: true });
      return;
    }
    if (delivered < expected) latencies[delivered] = wallClock() - item.at;
    if (++delivered === expected) {
      cpuAtEnd = process.cpuUsage(cpuAtStart);
      sampleRss();
      rssAtEnd = process.memoryUsage.rss();
      process.send({ delivered: true });
    }
  };
}

// Loaded before memory is measured: code is not what the readers cost.
const sdk = contender === 'ours' ? await import('durable-streams-rx') : undefined;
const { undiciTransport } = contender === 'ours' ? await import('durable-streams-rx/undici') : {};
const { stream } = contender === 'reference' ? await import('@durable-streams/client') : {};
const urlOf = (i) => `${url}-${i}`;

/**
 * Our SDK: one client, so the reads of each stream share one tail; made as a Node service with many readers makes it,
 * with `catchUps: sharedCatchUps()`, so the reads of a stream that start together share their catch-up too.
 */
async function subscribeOurs() {
  const transport = undiciTransport();
  const client = new sdk.DurableStreamsClient({
    baseUrl: new URL(url).origin,
    transport,
    catchUps: sdk.sharedCatchUps(),
  });
  const subscriptions = [];
  for (let s = 0; s < STREAMS; s++) {
    const handle = client.stream(new URL(urlOf(s)).pathname);
    for (let r = 0; r < PER_STREAM; r++) {
      const onItem = reader();
      subscriptions.push(
        sdk.readJson(handle, { live: mode }).subscribe({
          next: (batch) => batch.items.forEach(onItem),
          error: (error) => console.error(`ours: ${error}`),
        }),
      );
    }
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
    controllers.map(async ({ signal }, i) => {
      const onItem = reader();
      const response = await stream({
        url: urlOf(Math.floor(i / PER_STREAM)),
        offset: '-1',
        live: mode,
        json: true,
        signal,
        warnOnHttp: false,
      });
      response.subscribeJson((batch) => batch.items.forEach(onItem));
    }),
  );
  return async () => controllers.forEach((controller) => controller.abort());
}

gc();
const rssBefore = process.memoryUsage.rss();
const heapBefore = process.memoryUsage().heapUsed;
const sampler = setInterval(sampleRss, 100);
// A run that stalls says how far its readers got.
const progress = setInterval(() => {
  if (warmed < READERS || delivered < expected)
    console.error(
      `  (${contender} ${mode}: ${warmed} of ${READERS} readers warm, ${delivered} of ${expected} delivered)`,
    );
}, 30_000);
const subscribeStarted = performance.now();
const stop = contender === 'ours' ? await subscribeOurs() : await subscribeReference();
const subscribeMs = performance.now() - subscribeStarted;
process.send({ subscribed: true });

function quantile(n, q) {
  if (n === 0) return Number.NaN;
  const sorted = latencies.slice(0, n).sort();
  return sorted[Math.min(n - 1, Math.floor(q * n))];
}

process.on('message', async (command) => {
  if (command === 'start') {
    cpuAtStart = process.cpuUsage();
    process.send({ started: true });
  } else if (command === 'report') {
    const cpu = cpuAtEnd ?? process.cpuUsage(cpuAtStart);
    const rss = rssAtEnd ?? process.memoryUsage.rss();
    gc();
    const n = Math.min(delivered, expected);
    process.send({
      report: {
        delivered,
        expected,
        anomalies,
        subscribeMs,
        cpuMs: (cpu.user + cpu.system) / 1000,
        p50Ms: quantile(n, 0.5),
        p99Ms: quantile(n, 0.99),
        rssGrowthBytes: rss - rssBefore,
        peakRssGrowthBytes: peakRss - rssBefore,
        heapGrowthBytes: process.memoryUsage().heapUsed - heapBefore,
      },
    });
  } else if (command === 'stop') {
    clearInterval(sampler);
    clearInterval(progress);
    await stop();
    process.exit(0);
  }
});
