// Reads of this build against BENCH_BASELINE's (see baseline.mjs), paired: every round runs both
// back to back (in reverse order every other round), so a round's ratio cancels a busy machine's drift.
//   catch-up: readJson({ live: false }) of the read bench's stream to the end;
//   fan-out:  READERS live reads of one stream on one client (one shared tail), BATCHES appends of
//             ten messages each, until every reader has every message: the shared tail's path.
import * as thisSdk from 'durable-streams-rx';
import { undiciTransport } from 'durable-streams-rx/undici';
import os from 'node:os';
import { lastValueFrom, reduce } from 'rxjs';
import { message, uniquePath } from './harness.mjs';

const RUNS = Number(process.env.BENCH_RUNS ?? 5);
const READERS = Number(process.env.BENCH_FANOUT_READERS ?? 100);
const BATCHES = Number(process.env.BENCH_FANOUT_BATCHES ?? 200);
const load = () =>
  os
    .loadavg()
    .map((value) => value.toFixed(1))
    .join(' ');
const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

/** The catch-up read of `path` to the end with `sdk`'s readJson: how many messages it delivered. */
function catchUp(sdk, client, path) {
  return lastValueFrom(
    sdk.readJson(client.stream(path), { live: false }).pipe(reduce((n, batch) => n + batch.items.length, 0)),
  );
}

/** READERS live reads sharing one tail, BATCHES appends of ten: resolves once every reader has all of them. */
async function fanOut(sdk, client, base) {
  const path = uniquePath('bench-fanout');
  const url = `${base}/${path}`;
  await fetch(url, { method: 'PUT', headers: { 'content-type': 'application/json' } });
  const expected = BATCHES * 10;
  let done = 0;
  let resolveAll;
  const all = new Promise((resolve) => (resolveAll = resolve));
  const subscriptions = [];
  for (let r = 0; r < READERS; r++) {
    let seen = 0;
    subscriptions.push(
      sdk.readJson(client.stream(path), { live: 'long-poll' }).subscribe((batch) => {
        seen += batch.items.length;
        if (seen === expected && ++done === READERS) resolveAll();
      }),
    );
  }
  for (let b = 0; b < BATCHES; b++) {
    const body = JSON.stringify(Array.from({ length: 10 }, (_, i) => message(b * 10 + i)));
    const response = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
    if (!response.ok) throw new Error(`append failed: ${response.status}`);
  }
  await all;
  subscriptions.forEach((subscription) => subscription.unsubscribe());
  await fetch(url, { method: 'DELETE' });
}

/** Runs both builds' reads in paired rounds and prints before / after ratios of wall time and client CPU. */
export async function compareWithBaseline({ base }, path, count, baseline) {
  const builds = [
    // The undici transport comes from its own entry, as the baseline's loadSdk() merges it.
    ['this build', { ...thisSdk, undiciTransport }],
    [baseline.name, baseline.sdk],
  ].map(([name, sdk]) => {
    const transport = sdk.undiciTransport();
    return { name, sdk, transport, client: new sdk.DurableStreamsClient({ baseUrl: base, transport }) };
  });
  const cases = [
    [
      'catch-up',
      async (build) => {
        const n = await catchUp(build.sdk, build.client, path);
        if (n !== count) throw new Error(`${build.name} read ${n} of ${count}`);
      },
    ],
    ['fan-out', (build) => fanOut(build.sdk, build.client, base)],
  ];
  const loadBefore = load();
  console.log(`\nReads, this build against ${baseline.name}, ${RUNS} paired rounds`);
  for (const [name, fn] of cases) {
    const samples = builds.map(() => ({ ms: [], cpu: [] }));
    for (let round = -1; round < RUNS; round++) {
      const order = [...builds.entries()];
      if (round % 2 !== 0) order.reverse();
      for (const [index, build] of order) {
        const cpuBefore = process.cpuUsage();
        const start = process.hrtime.bigint();
        await fn(build);
        const ms = Number(process.hrtime.bigint() - start) / 1e6;
        const used = process.cpuUsage(cpuBefore);
        globalThis.gc?.();
        if (round < 0) continue;
        samples[index].ms.push(ms);
        samples[index].cpu.push((used.user + used.system) / 1000);
      }
    }
    const ratio = (key) => {
      const ratios = samples[1][key].map((before, round) => before / samples[0][key][round]);
      return `${median(ratios).toFixed(2)}x (rounds ${Math.min(...ratios).toFixed(2)}-${Math.max(...ratios).toFixed(2)})`;
    };
    const what = name === 'fan-out' ? `${READERS} readers x ${BATCHES * 10} messages` : `${count} messages`;
    console.log(
      `  ${name} (${what}): median ${median(samples[0].ms).toFixed(0)} ms this build, ${median(samples[1].ms).toFixed(0)} ms before;` +
        ` before / after: wall ${ratio('ms')}, client CPU ${ratio('cpu')}`,
    );
  }
  console.log(`  load average (1, 5, 15 min): ${loadBefore} at the start, ${load()} at the end`);
  for (const build of builds) await build.transport.close();
}
