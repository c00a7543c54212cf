import { DurableStreamTestServer } from '@durable-streams/server';

/** Starts one real reference server on a free loopback port for every spec file. */
export default async function globalSetup(): Promise<void> {
  const server = new DurableStreamTestServer({ port: 0, host: '127.0.0.1', longPollTimeout: 2_000 });
  const url = await server.start();
  process.env['DS_TEST_SERVER_URL'] = url;
  (globalThis as { __dsServer?: DurableStreamTestServer }).__dsServer = server;
}
