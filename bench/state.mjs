// State: the same 1 000-message batches applied to 100 000 entities by materialize() alone, by a stateStore() with
// nothing pending and with one mutation pending, and by @durable-streams/state's MaterializedState (mutable Maps, no
// snapshots: a floor, not a like-for-like contender). Every contender reads the same responses through readJson()
// from an in-memory fetch: no server, no network, so the figures are the client's CPU and the ratios are what the
// state layer costs. Rounds run the contenders back to back (in another order each round); the median of the
// per-round ratios is paired, and steadier on a busy machine than a ratio of medians.
import os from 'node:os';
import { MaterializedState } from '@durable-streams/state';
import { DurableStreamsClient, fetchTransport, readJson } from 'durable-streams-rx';
import { createStateSchema, materialize, stateStore } from 'durable-streams-rx/state';
import { first, firstValueFrom, lastValueFrom, tap } from 'rxjs';

const ENTITIES = Number(process.env.BENCH_STATE_ENTITIES ?? 100_000);
const BATCHES = Number(process.env.BENCH_STATE_BATCHES ?? 20);
const BATCH = 1_000;
const RUNS = Number(process.env.BENCH_STATE_RUNS ?? process.env.BENCH_RUNS ?? 5);
const BASE = 'http://state.bench.invalid/v1/stream';
const PATH = 'todos';

const offsetAt = (n) => `${String(n).padStart(16, '0')}_${String(n).padStart(16, '0')}`;
const todo = (id, round) => ({ id, title: `todo ${id}`, done: round % 2 === 1, round });
const load = () =>
  os
    .loadavg()
    .map((value) => value.toFixed(2))
    .join(', ');

/** The entities the store holds before the batches: 100 000 todos by id. */
function seedTodos() {
  const todos = {};
  for (let i = 0; i < ENTITIES; i += 1) todos[`t${i}`] = todo(`t${i}`, 0);
  return todos;
}

/** The response bodies, by the offset they are read from: BATCHES updates of BATCH todos spread over the whole store. */
function responses() {
  const bodies = new Map();
  for (let round = 0; round < BATCHES; round += 1) {
    const items = [];
    for (let i = 0; i < BATCH; i += 1) {
      const id = `t${(round * BATCH + i * 97) % ENTITIES}`;
      items.push({ type: 'todo', key: id, value: todo(id, round + 1), headers: { operation: 'update' } });
    }
    bodies.set(offsetAt(round), JSON.stringify(items));
  }
  return bodies;
}

/** A fetch that answers reads from `bodies` and accepts every append (the pending mutation's, never read back). */
function memoryFetch(bodies) {
  const last = offsetAt(BATCHES);
  return async (url, init) => {
    if (init?.method === 'POST') return new Response(null, { status: 200, headers: { 'stream-next-offset': last } });
    const offset = new URL(url).searchParams.get('offset');
    const body = bodies.get(offset);
    if (body === undefined) throw new Error(`state bench: no response for offset ${offset}`);
    const next = offsetAt(Number(offset.split('_')[0]) + 1);
    return new Response(body, {
      status: 200,
      headers: {
        'content-type': 'application/json',
        'stream-next-offset': next,
        ...(next === last ? { 'stream-up-to-date': 'true' } : {}),
      },
    });
  };
}

const schema = createStateSchema({ todos: { type: 'todo', primaryKey: 'id' } });
const checkpoint = { offset: offsetAt(0) };
const read = (stream) => readJson(stream, { from: checkpoint, live: false });

/** Every contender: prepared outside the clock (seeding copies the 100 000 entities), then run; each returns the final todos. */
function contenders(stream, seeded) {
  /** A store holding `seeded`, with one mutation pending or none; run, it reads the batches and ends. */
  const storeWith = (pending) => () => {
    const store = stateStore(stream, schema, { live: false, initial: { collections: { todos: seeded }, checkpoint } });
    if (pending)
      store.mutate((tx) => tx.todos.update({ ...seeded['t1'], title: 'mine' })).subscribe({ error: () => undefined });
    return async () => {
      const end = offsetAt(BATCHES);
      const view = await firstValueFrom(store.state$.pipe(first((value) => value.checkpoint?.offset === end)));
      store.close();
      return view.collections.todos;
    };
  };
  return [
    [
      'materialize',
      'materialize() alone',
      () => {
        const operator = materialize({ types: ['todo'], initial: { todo: seeded } });
        return async () => (await lastValueFrom(read(stream).pipe(operator))).collections.todo;
      },
    ],
    ['store', 'stateStore(), nothing pending', storeWith(false)],
    ['pending', 'stateStore(), one mutation pending', storeWith(true)],
    [
      'floor',
      '@durable-streams/state MaterializedState (mutable, no snapshots)',
      () => {
        const state = new MaterializedState();
        for (const value of Object.values(seeded))
          state.apply({ type: 'todo', key: value.id, value, headers: { operation: 'insert' } });
        return async () => {
          await lastValueFrom(read(stream).pipe(tap((batch) => state.applyBatch(batch.items))));
          return state;
        };
      },
    ],
  ];
}

export async function run() {
  const seeded = seedTodos();
  const client = new DurableStreamsClient({
    baseUrl: BASE,
    transport: fetchTransport({ fetch: memoryFetch(responses()) }),
  });
  const stream = client.stream(PATH);
  console.log(
    `\nState: ${BATCHES} batches of ${BATCH.toLocaleString('en-US')} updates to ` +
      `${ENTITIES.toLocaleString('en-US')} entities, read from memory (load ${load()})`,
  );
  const all = contenders(stream, seeded);
  const cpu = new Map(all.map(([key]) => [key, []]));
  for (let round = 0; round <= RUNS; round += 1) {
    const order = round % 2 === 0 ? all : [...all].reverse();
    for (const [key, , prepare] of order) {
      const go = prepare();
      globalThis.gc?.();
      const start = process.cpuUsage();
      const todos = await go();
      const used = process.cpuUsage(start);
      if (round > 0) cpu.get(key).push((used.user + used.system) / 1000);
      check(key, todos);
    }
  }
  const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
  const width = Math.max(...all.map(([, name]) => name.length));
  for (const [key, name] of all)
    console.log(`  ${name.padEnd(width)}  ${median(cpu.get(key)).toFixed(0).padStart(7)} ms CPU`);
  const paired = (numerator, denominator) => {
    const ratios = cpu.get(numerator).map((value, round) => value / cpu.get(denominator)[round]);
    return `${median(ratios).toFixed(2)}x (rounds ${Math.min(...ratios).toFixed(2)}-${Math.max(...ratios).toFixed(2)})`;
  };
  console.log(`  Paired ratios, median of ${RUNS} rounds (load ${load()}):`);
  console.log(`  store / materialize(), nothing pending: ${paired('store', 'materialize')} (target <= 1.2x)`);
  console.log(`  store / materialize(), one pending:     ${paired('pending', 'materialize')}`);
  console.log(`  MaterializedState / materialize():      ${paired('floor', 'materialize')}`);
  await client.close?.();
}

/** Every contender ends with the same todos (the store's pending one aside). */
function check(key, todos) {
  const last = `t${((BATCHES - 1) * BATCH + (BATCH - 1) * 97) % ENTITIES}`;
  const read = (id) => (todos instanceof MaterializedState ? todos.get('todo', id) : todos[id]);
  if (read(last)?.round !== BATCHES)
    throw new Error(`state bench: ${key} ended with ${JSON.stringify(read(last))} at ${last}`);
  if (key === 'pending' && read('t1')?.title !== 'mine')
    throw new Error('state bench: the pending mutation is not shown');
}
