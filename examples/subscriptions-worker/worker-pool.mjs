#!/usr/bin/env node
// A pool of pull-wake workers sharing one subscription: the server hands each
// wake to one worker at a time under a lease, the others wait for the next.
//
//   npm run example:workers                       # builds, then runs on an embedded reference server
//   node examples/subscriptions-worker/worker-pool.mjs --workers 4 --orders 300 --streams 6
//   node examples/subscriptions-worker/worker-pool.mjs --server http://127.0.0.1:4437
//
// It appends orders to several streams (orders/<region>) while the workers
// run; one worker stops half-way (its wake is released, another takes over).
// Each handler "charges" an order at most once, keyed by the order's id, as an
// idempotent handler must: delivery is at-least-once. At the end it checks
// that every order was charged once and that the subscription's cursors stand
// at the streams' tails. Run `npm run build` first: it imports the package by
// its own name, from dist/.
import { parseArgs } from 'node:util';
import { concatMap, firstValueFrom, from, timer } from 'rxjs';
import { DurableStreamsClient, appendJson, createStream, headStream } from 'durable-streams-rx';
import { subscription } from 'durable-streams-rx/subscriptions';

const { values: args } = parseArgs({
  options: {
    server: { type: 'string' },
    workers: { type: 'string', default: '3' },
    streams: { type: 'string', default: '4' },
    orders: { type: 'string', default: '120' },
    'lease-ms': { type: 'string', default: '3000' },
  },
});

const embedded = args.server ? undefined : await startEmbeddedServer();
const baseUrl = `${(args.server ?? embedded.url).replace(/\/+$/, '')}/v1/stream`;
const run = Date.now().toString(36);
const regions = Array.from({ length: Number(args.streams) }, (_, i) => `orders-${run}/region-${i}`);
const admin = new DurableStreamsClient({ baseUrl });

// 1. The streams, and the subscription over them (ensure() is idempotent: call it at every start).
for (const path of regions) await firstValueFrom(createStream(admin.stream(path), { contentType: 'application/json' }));
const orders = subscription(admin, `order-charger-${run}`);
const { created } = await firstValueFrom(
  orders.ensure({
    type: 'pull-wake',
    pattern: `orders-${run}/*`,
    wakeStream: `wake/orders-${run}`,
    leaseTtlMs: Number(args['lease-ms']),
  }),
);
console.log(`subscription ${orders.id} ${created ? 'created' : 're-confirmed'} on ${baseUrl}`);

// 2. The side effect, idempotent: a charge keyed by the order id is made once, however often the order is delivered.
const charged = new Map(); // order id -> worker
let duplicates = 0;
const charge = async (order, worker) => {
  if (charged.has(order.id)) {
    duplicates++;
    return;
  }
  await new Promise((resolve) => setTimeout(resolve, 2)); // the payment provider
  charged.set(order.id, worker);
};

// 3. The handler: read each pending stream, charge its orders, ack each batch after its side effects.
const handlerFor = (worker) => (wake) =>
  from(wake.pending).pipe(
    concatMap((stream) =>
      wake.readJson(stream.path).pipe(
        concatMap(async (batch) => {
          for (const order of batch.items) await charge(order, worker);
          return { stream: stream.path, offset: batch.offset };
        }),
      ),
    ),
  );

// 4. The pool: each worker has its own client, as it would on its own machine.
const pool = new Map();
const wakesBy = new Map();
for (let i = 1; i <= Number(args.workers); i++) {
  const name = `worker-${i}`;
  const client = new DurableStreamsClient({ baseUrl });
  const worker = subscription(client, orders.id)
    .process({ worker: name, claimIntervalMs: 1000 }, handlerFor(name))
    .subscribe({
      next: (outcome) => {
        wakesBy.set(name, (wakesBy.get(name) ?? 0) + 1);
        if (outcome.kind !== 'completed')
          console.log(`${name}: wake ${outcome.wake.generation} ${outcome.kind}: ${outcome.error?.message ?? ''}`);
      },
      error: (error) => console.error(`${name} stopped: ${error.message}`),
    });
  pool.set(name, worker);
}

// 5. Orders arrive while the workers run; half-way, worker-1 leaves the pool.
const total = Number(args.orders);
for (let n = 1; n <= total; n++) {
  const region = regions[n % regions.length];
  await firstValueFrom(appendJson(admin.stream(region), { id: `o-${n}`, region, cents: 100 * n }));
  if (n === Math.floor(total / 2) && pool.size > 1) {
    pool.get('worker-1').unsubscribe(); // releases the wake it holds, if any
    pool.delete('worker-1');
    console.log('worker-1 left the pool');
  }
  if (n % 10 === 0) await firstValueFrom(timer(20));
}

// 6. Wait for the pool to catch up: every cursor at its stream's tail.
const atTails = async () => {
  const { streams } = await firstValueFrom(orders.get());
  const tails = await Promise.all(streams.map((stream) => firstValueFrom(headStream(admin.stream(stream.path)))));
  return streams.length === regions.length && streams.every((stream, i) => stream.ackedOffset === tails[i].nextOffset);
};
const deadline = Date.now() + 60_000;
while (!(await atTails())) {
  if (Date.now() > deadline) throw new Error('the pool did not catch up within 60 s');
  await firstValueFrom(timer(100));
}

const byWorker = [...charged.values()].reduce(
  (counts, worker) => counts.set(worker, (counts.get(worker) ?? 0) + 1),
  new Map(),
);
console.log(`charged ${charged.size} of ${total} orders, ${duplicates} repeated deliveries skipped`);
for (const [worker, count] of [...byWorker].sort())
  console.log(`  ${worker}: ${count} orders in ${wakesBy.get(worker) ?? 0} wakes`);
console.log('cursors at the tails: yes');

pool.forEach((worker) => worker.unsubscribe());
await firstValueFrom(orders.delete(), { defaultValue: undefined });
await embedded?.stop();
// The embedded server leaves a live read's 30 s wait timer behind when it stops: do not wait for it.
process.exit(charged.size === total ? 0 : 1);

async function startEmbeddedServer() {
  const { DurableStreamTestServer } = await import('@durable-streams/server');
  const server = new DurableStreamTestServer({ port: 0, host: '127.0.0.1' });
  const url = await server.start();
  console.log(`reference server: ${url}`);
  return { url, stop: () => server.stop() };
}
