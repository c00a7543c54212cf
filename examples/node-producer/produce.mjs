#!/usr/bin/env node
// Writes State Protocol change messages to a JSON stream through the
// IdempotentProducer: batched, pipelined, exactly once (the server
// deduplicates retries by producer id, epoch and sequence number). Each
// message is an `insert` of a `message` entity keyed by its id; with
// `--edit-every N`, every Nth insert is followed by an `update` of the first
// of those N messages. Run `npm run build` first: it imports the package by
// its own name, from dist/.
//
//   node examples/node-producer/produce.mjs --server http://127.0.0.1:4437 --stream feed --count 10 --interval 500 --edit-every 3
//
// Pair it with examples/angular-feed, which materializes the same stream live.
import { parseArgs } from 'node:util';
import { firstValueFrom } from 'rxjs';
import { DurableStreamsClient, createStream, idempotentProducer } from 'durable-streams-rx';
import { undiciTransport } from 'durable-streams-rx/undici';

const { values: args } = parseArgs({
  options: {
    server: { type: 'string', default: 'http://127.0.0.1:4437' },
    stream: { type: 'string', default: 'feed' },
    count: { type: 'string', default: '10' },
    interval: { type: 'string', default: '500' },
    'producer-id': { type: 'string', default: 'node-producer' },
    // Raise the epoch on every run of the same producer id, or the server takes
    // the new run's first batches for retries of the last run's. Seconds do.
    epoch: { type: 'string', default: String(Math.floor(Date.now() / 1000)) },
    prefix: { type: 'string', default: 'message' },
    'edit-every': { type: 'string', default: '0' },
  },
});

const count = Number(args.count);
const intervalMs = Number(args.interval);
const editEvery = Number(args['edit-every']);
const producerId = args['producer-id'];
// A Node producer: undici pipelines its batches in order on one connection (a lane).
const client = new DurableStreamsClient({
  baseUrl: `${args.server.replace(/\/+$/, '')}/v1/stream`,
  transport: undiciTransport(),
});
const stream = client.stream(args.stream);

// Idempotent: succeeds when the stream already exists with this content type.
await firstValueFrom(createStream(stream, { contentType: 'application/json' }));

const producer = idempotentProducer(stream, producerId, {
  epoch: Number(args.epoch),
  lingerMs: 10,
  onError: (error) => console.error(`producer: ${error.message}`),
});

let stopping = false;
process.once('SIGINT', () => (stopping = true));

/** A State Protocol change message on the `message` entity `id` (a string key, as the protocol requires). */
const change = (operation, id, text) => {
  const timestamp = new Date().toISOString();
  return { type: 'message', key: String(id), value: { id, text, at: timestamp }, headers: { operation, timestamp } };
};

for (let id = 1; id <= count && !stopping; id++) {
  producer.append(change('insert', id, `${args.prefix} ${id}`));
  console.log(`inserted ${args.prefix} ${id}`);
  if (editEvery > 0 && id % editEvery === 0) {
    const edited = id - editEvery + 1;
    producer.append(change('update', edited, `${args.prefix} ${edited} (edited)`));
    console.log(`updated ${args.prefix} ${edited}`);
  }
  if (id < count && intervalMs > 0) await new Promise((resolve) => setTimeout(resolve, intervalMs));
}

// Delivers everything appended, then stops the producer (the stream stays open).
await firstValueFrom(producer.finish());
console.log(`done: ${count} messages on ${stream.url}`);
process.exit(0);
