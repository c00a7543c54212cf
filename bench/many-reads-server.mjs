// The origin of the many-reads benchmark, in a child process (IPC): the
// reference server in memory, counting the reads of each stream with its
// request hook, and appending the measured messages itself, so neither the
// counting nor the appends cost the measured client any CPU.
// Messages (each answered with { id, ... }):
//   { id, cmd: 'create', path }                      creates a JSON stream and counts its reads
//   { id, cmd: 'count', path }                       counts that stream's reads afresh (open ones stay counted open)
//   { id, cmd: 'append', path, count, intervalMs, from }  appends `count` messages, one every `intervalMs`
//   { id, cmd: 'stats', path }                       { requests, live, peakOpenLive, openLive, connections }
// The same for a group of streams `${path}-0` to `${path}-${streams - 1}`, counted together:
//   { id, cmd: 'create', path, streams }, { id, cmd: 'count', path, streams }, { id, cmd: 'stats', path },
//   { id, cmd: 'append', path, streams, count, intervalMs, from }: every `intervalMs` one message to each stream
import { request as httpRequest, Agent } from 'node:http';
import { DurableStreamTestServer } from '@durable-streams/server';

/** Wall-clock ms with sub-ms precision, comparable across processes of one machine. */
export const wallClock = () => performance.timeOrigin + performance.now();

const server = new DurableStreamTestServer({ port: 0, host: '127.0.0.1' });
const url = await server.start();
const { port } = new URL(url);
const agent = new Agent({ keepAlive: true, maxSockets: 4 });

/** Per stream path: reads since `count`, live ones, and how many live ones were open at once. */
const counters = new Map();
const freshCounter = (open = 0) => ({ requests: 0, live: 0, openLive: open, peakOpenLive: open });

/** Connections opened since the last `count` (of any stream: runs do not overlap). */
let connections = 0;
server.server.on('connection', () => connections++);

server.server.on('request', (req, res) => {
  if (req.method !== 'GET') return;
  const [pathname, query = ''] = (req.url ?? '').split('?');
  const counter = counters.get(pathname);
  if (!counter) return;
  counter.requests++;
  if (!/(^|&)live=/.test(query)) return;
  counter.live++;
  counter.openLive++;
  counter.peakOpenLive = Math.max(counter.peakOpenLive, counter.openLive);
  // A fresh count carries the open ones over: the end of this one counts against whichever is current.
  res.once('close', () => counters.get(pathname).openLive--);
});

/** `send` once more when a reused keep-alive socket was closed by the server as the request went out (a race, not an answer). */
async function post(path, body, method = 'POST') {
  try {
    return await send(path, body, method);
  } catch (error) {
    if (error?.code !== 'ECONNRESET') throw error;
    return send(path, body, method);
  }
}

function send(path, body, method) {
  return new Promise((resolve, reject) => {
    const request = httpRequest(
      {
        host: '127.0.0.1',
        port,
        path,
        method,
        agent,
        headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) },
      },
      (response) => {
        response.resume();
        response.on('end', () =>
          response.statusCode < 300 ? resolve() : reject(new Error(`${method} ${path}: ${response.statusCode}`)),
        );
      },
    );
    request.on('error', reject);
    request.end(body);
  });
}

const streamPath = (path) => `/v1/stream/${path}`;
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
const PAD = 'lorem ipsum dolor sit amet consectetur adipiscing';

/** The paths of a stream, or of a group's streams (`${path}-${i}`). */
const pathsOf = ({ path, streams }) =>
  streams === undefined ? [streamPath(path)] : Array.from({ length: streams }, (_, i) => streamPath(`${path}-${i}`));

/** Runs `task` over `items`, `width` at a time (the agent's sockets). */
async function inParallel(items, width, task) {
  let next = 0;
  const lane = async () => {
    while (next < items.length) await task(items[next++]);
  };
  await Promise.all(Array.from({ length: width }, lane));
}

async function append({ path, streams, count, intervalMs, from = 0 }) {
  const paths = pathsOf({ path, streams });
  const start = wallClock();
  for (let i = 0; i < count; i++) {
    const due = start + i * intervalMs;
    const wait = due - wallClock();
    if (wait > 0) await sleep(wait);
    await inParallel(paths, 4, (each) => post(each, JSON.stringify({ seq: from + i, at: wallClock(), text: PAD })));
  }
}

const commands = {
  create: async (group) => {
    const counter = freshCounter();
    const paths = pathsOf(group);
    for (const each of paths) counters.set(each, counter);
    await inParallel(paths, 4, (each) => post(each, '', 'PUT'));
  },
  count: (group) => {
    const paths = pathsOf(group);
    const counter = freshCounter(counters.get(paths[0])?.openLive ?? 0);
    for (const each of paths) counters.set(each, counter);
    connections = 0;
  },
  append,
  stats: (group) => ({ ...(counters.get(pathsOf(group)[0]) ?? freshCounter()), connections }),
};

process.on('message', async (message) => {
  try {
    const result = await commands[message.cmd](message);
    process.send({ id: message.id, ...(result ?? {}) });
  } catch (error) {
    process.send({ id: message.id, error: String(error?.stack ?? error) });
  }
});
// The server leaves a wait timer per held long-poll: exit rather than wait them out.
process.on('disconnect', () => process.exit(0));
process.send({ url });
