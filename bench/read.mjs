// Catch-up read of 100k JSON messages (~100 B each): ours vs @durable-streams/client's
// jsonStream() vs a bare fetch + JSON.parse loop (the limit), in one run on one server.
// BENCH_BASELINE (see baseline.mjs) then compares reads with another build, paired (read-baseline.mjs).
import { stream as refStream } from '@durable-streams/client';
import { DurableStreamsClient, readJson } from 'durable-streams-rx';
import { undiciTransport } from 'durable-streams-rx/undici';
import { lastValueFrom, reduce } from 'rxjs';
import { loadBaseline } from './baseline.mjs';
import { median, message, table, uniquePath } from './harness.mjs';
import { compareWithBaseline } from './read-baseline.mjs';

const COUNT = Number(process.env.BENCH_READ_COUNT ?? 100_000);

async function fill(url) {
  await fetch(url, { method: 'PUT', headers: { 'content-type': 'application/json' } });
  for (let i = 0; i < COUNT; i += 1000) {
    const batch = [];
    for (let j = i; j < Math.min(COUNT, i + 1000); j++) batch.push(message(j));
    const response = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(batch),
    });
    if (!response.ok) throw new Error(`fill failed: ${response.status}`);
  }
}

async function bareFetchLoop(url) {
  let offset = '-1';
  let items = 0;
  for (;;) {
    const response = await fetch(`${url}?offset=${encodeURIComponent(offset)}`);
    items += JSON.parse(await response.text()).length;
    offset = response.headers.get('stream-next-offset');
    if (response.headers.get('stream-up-to-date') === 'true') return items;
  }
}

async function ours(client, path) {
  return lastValueFrom(
    readJson(client.stream(path), { live: false }).pipe(reduce((n, batch) => n + batch.items.length, 0)),
  );
}

async function reference(url) {
  const response = await refStream({ url, offset: '-1', live: false, json: true });
  let items = 0;
  for await (const _item of response.jsonStream()) items++;
  return items;
}

export async function run(server) {
  const { base } = server;
  const path = uniquePath('bench-read');
  const url = `${base}/${path}`;
  await fill(url);
  const transport = undiciTransport();
  const client = new DurableStreamsClient({ baseUrl: base, transport });

  const check = async (name, fn) => {
    const n = await fn();
    if (n !== COUNT) throw new Error(`${name} read ${n} of ${COUNT} messages`);
  };
  const cases = [
    ['bare fetch + JSON.parse (limit)', () => check('bare', () => bareFetchLoop(url))],
    ['durable-streams-rx readJson', () => check('ours', () => ours(client, path))],
    ['@durable-streams/client jsonStream', () => check('reference', () => reference(url))],
  ];
  const rows = [];
  for (const [name, fn] of cases) {
    const ms = await median(fn, { runs: Number(process.env.BENCH_RUNS ?? 5) });
    rows.push({ name, ms, rate: (COUNT / ms) * 1000 });
  }
  await transport.close();
  table(`Catch-up read, ${COUNT.toLocaleString('en-US')} JSON messages (~100 B), median of runs`, rows, 'msg');
  const [bare, mine, ref] = rows;
  const vsReference = ref.ms / mine.ms;
  const vsBare = bare.ms / mine.ms;
  console.log(`  ratio vs @durable-streams/client: ${vsReference.toFixed(1)}x faster (target >= 10x)`);
  console.log(`  ratio vs bare loop:               ${vsBare.toFixed(2)}x of the limit (target >= 0.8x)`);
  const baseline = await loadBaseline();
  if (baseline) await compareWithBaseline(server, path, COUNT, baseline);
  return { vsReference, vsBare };
}
