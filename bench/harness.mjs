// Shared benchmark helpers: a reference server on a free loopback port, timing, tables.
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/**
 * Starts a server (`reference` or `sink`) in a child process on a free
 * loopback port, so the server's work runs beside the measured client, not
 * inside its thread and heap, as it would in production.
 */
export async function startServer(kind = 'reference') {
  const child = spawn(process.execPath, [fileURLToPath(new URL('./server-process.mjs', import.meta.url)), kind], {
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  let output = '';
  child.stdout.setEncoding('utf8');
  while (!output.includes('\n')) {
    const [chunk] = await Promise.race([
      once(child.stdout, 'data'),
      once(child, 'exit').then(() => {
        throw new Error(`${kind} server exited`);
      }),
    ]);
    output += chunk;
  }
  const url = output.trim();
  return {
    url,
    base: `${url}/v1/stream`,
    pid: child.pid,
    stop: async () => {
      child.stdin.end();
      await once(child, 'exit');
    },
  };
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
    console.log(
      `  ${r.name.padEnd(width)}  ${r.ms.toFixed(1).padStart(9)} ms  ${Math.round(r.rate).toLocaleString('en-US').padStart(12)} ${unit}/s`,
    );
  }
}

/** CPU time a process has used so far, ms (Linux /proc; NaN elsewhere). */
export function serverCpuMs(pid) {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
    // utime and stime, in clock ticks (100 per second on Linux).
    return (Number(fields[11]) + Number(fields[12])) * 10;
  } catch {
    return Number.NaN;
  }
}

let counter = 0;
export const uniquePath = (prefix) => `${prefix}-${process.pid}-${Date.now().toString(36)}-${counter++}`;

/** A ~100-byte JSON message. */
export const message = (i) => ({
  id: i,
  kind: 'token',
  text: 'lorem ipsum dolor sit amet consectetur adipiscing',
  at: 1700000000000 + i,
});
