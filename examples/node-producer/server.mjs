#!/usr/bin/env node
// The reference Durable Streams server, for trying the examples by hand:
//   node examples/node-producer/server.mjs [--port 4437]
// Streams live at http://127.0.0.1:<port>/v1/stream/<path>; data is kept in memory.
import { parseArgs } from 'node:util';
import { DurableStreamTestServer } from '@durable-streams/server';

const { values } = parseArgs({
  options: { port: { type: 'string', default: '4437' }, host: { type: 'string', default: '127.0.0.1' } },
});
const server = new DurableStreamTestServer({ port: Number(values.port), host: values.host });
console.log(`reference server: ${await server.start()}/v1/stream/ (Ctrl+C to stop)`);
process.once('SIGINT', () => void server.stop().then(() => process.exit(0)));
