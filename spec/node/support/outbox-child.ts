/**
 * A process that writes with a producer on a file outbox, for
 * spec/node/file-outbox.crash.spec.ts (bundled with esbuild, run with node):
 *
 *   write  <stream url> <dir> <count> [extra]: appends 0..count-1, reports
 *          { saved } once saved() emits, then appends `extra` more and
 *          reports again; then waits, delivering, until it is killed.
 *   finish <stream url> <dir>: a new producer on the same outbox delivers
 *          what it holds, finishes, and reports { acks, duplicates, errors }.
 *
 * Reports are JSON lines on stdout.
 */
import { firstValueFrom } from 'rxjs';
import { DurableStreamsClient, idempotentProducer } from '../../../lib/index';
import { fileOutbox } from '../../../lib/node/index';

const [mode, url, dir, count = '0', extra = '0'] = process.argv.slice(2);
const report = (message: unknown) => process.stdout.write(`${JSON.stringify(message)}\n`);

const client = new DurableStreamsClient({ retry: { initialDelayMs: 5, maxDelayMs: 50, maxRetries: 1_000_000 } });
const producer = idempotentProducer<number>(client.stream<number>(url), 'crash-writer', {
  outbox: fileOutbox(dir),
  contentType: 'application/json',
  maxBatchItems: 250,
  maxInFlight: 8,
});
const errors: string[] = [];
producer.errors$.subscribe((error) => errors.push(String(error)));

async function write(): Promise<void> {
  let next = 0;
  for (const end of [Number(count), Number(count) + Number(extra)]) {
    while (next < end) producer.append(next++);
    await firstValueFrom(producer.saved());
    report({ saved: end, errors });
  }
  setInterval(() => undefined, 60_000); // delivers, answers lost, until killed
}

async function finish(): Promise<void> {
  let acks = 0;
  let duplicates = 0;
  producer.acks$.subscribe((ack) => {
    acks++;
    if (ack.duplicate) duplicates++;
  });
  await firstValueFrom(producer.finish());
  report({ acks, duplicates, errors });
}

(mode === 'write' ? write() : finish()).catch((error: unknown) => {
  report({ failed: String(error) });
  process.exit(1);
});
