// npm run bench: every scenario side by side with @durable-streams/client, in one run on one server.
// BENCH_ONLY=read|producer|many-reads|state|size runs one scenario.
import { startServer } from './harness.mjs';

// [name, module, needs the server]
const scenarios = [
  ['read', () => import('./read.mjs'), true],
  ['producer', () => import('./producer.mjs'), true],
  // Starts its own origin (counting requests at the server) and nginx.
  ['many-reads', () => import('./many-reads.mjs'), false],
  // No server: the state layer's CPU on responses read from memory.
  ['state', () => import('./state.mjs'), false],
  ['size', () => import('./size.mjs'), false],
];

let server;
let failed = false;
try {
  for (const [name, load, needsServer] of scenarios) {
    if (process.env.BENCH_ONLY && process.env.BENCH_ONLY !== name) continue;
    let scenario;
    try {
      scenario = await load();
    } catch (error) {
      if (error?.code === 'ERR_MODULE_NOT_FOUND') continue;
      throw error;
    }
    if (needsServer && !server) {
      server = await startServer();
      console.log(`reference server ${server.url}, node ${process.version}`);
    }
    try {
      await scenario.run(server);
    } catch (error) {
      failed = true;
      console.error(`${name}: ${error.stack ?? error}`);
    }
  }
} finally {
  await server?.stop();
}
process.exit(failed ? 1 : 0);
