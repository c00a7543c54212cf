// Shared benchmark helpers: a reference server on a free loopback port, timing, tables.
import { DurableStreamTestServer } from '@durable-streams/server';

/** Starts the reference server in memory on a free loopback port. */
export async function startServer() {
  const server = new DurableStreamTestServer({ port: 0, host: '127.0.0.1' });
  const url = await server.start();
  return { url, base: `${url}/v1/stream`, stop: () => server.stop() };
}

/** Runs `fn` `warmup` times, then `runs` times; returns the median wall time in ms. */
export async function median(fn, { runs = 5, warmup = 1 } = {}) {
  for (let i = 0; i < warmup; i++) await fn();
  const times = [];
  for (let i = 0; i < runs; i++) {
    const start = process.hrtime.bigint();
    await fn();
    times.push(Number(process.hrtime.bigint() - start) / 1e6);
  }
  times.sort((a, b) => a - b);
  return times[Math.floor(times.length / 2)];
}

/** Prints rows of { name, ms, rate } as an aligned table. */
export function table(title, rows, unit) {
  console.log(`\n${title}`);
  const width = Math.max(...rows.map((r) => r.name.length));
  for (const r of rows) {
    console.log(`  ${r.name.padEnd(width)}  ${r.ms.toFixed(1).padStart(9)} ms  ${Math.round(r.rate).toLocaleString('en-US').padStart(12)} ${unit}/s`);
  }
}

let counter = 0;
export const uniquePath = (prefix) => `${prefix}-${process.pid}-${Date.now().toString(36)}-${counter++}`;

/** A ~100-byte JSON message. */
export const message = (i) => ({ id: i, kind: 'token', text: 'lorem ipsum dolor sit amet consectetur adipiscing', at: 1700000000000 + i });
