// A server for the benchmarks, in its own process so that its work does not
// share a thread (or a heap) with the clients being measured.
// `node bench/server-process.mjs reference` serves @durable-streams/server in memory;
// `node bench/server-process.mjs sink` accepts every producer POST and keeps nothing.
// Prints its base URL on the first line of stdout; exits when stdin closes.
import { createServer } from 'node:http';
import { DurableStreamTestServer } from '@durable-streams/server';

async function reference() {
  const server = new DurableStreamTestServer({ port: 0, host: '127.0.0.1' });
  return { url: await server.start(), stop: () => server.stop() };
}

async function sink() {
  let offset = 0;
  const server = createServer((request, response) => {
    request.on('data', () => undefined);
    request.on('end', () => {
      offset++;
      response.writeHead(200, {
        'stream-next-offset': String(offset).padStart(16, '0'),
        'producer-epoch': request.headers['producer-epoch'] ?? '0',
        'producer-seq': request.headers['producer-seq'] ?? '0',
      });
      response.end();
    });
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${server.address().port}`,
    stop: () => new Promise((resolve) => server.close(resolve)),
  };
}

const kind = process.argv[2];
const server = kind === 'sink' ? await sink() : await reference();
process.stdout.write(`${server.url}\n`);
process.stdin.resume();
process.stdin.on('end', async () => {
  await server.stop();
  process.exit(0);
});
