'use strict';
/*
 * The reference server, file-backed, in a process of its own, so a spec can
 * kill it with SIGKILL (no shutdown, no flush: a crash) and start it again
 * on the same port and data directory. Started by restartable-server.ts;
 * prints one line `READY <url>` on stdout once it listens.
 * Arguments: <port> <dataDir> <longPollTimeoutMs>
 */
const { DurableStreamTestServer } = require('@durable-streams/server');

const [port, dataDir, longPollTimeout] = process.argv.slice(2);
const server = new DurableStreamTestServer({
  port: Number(port),
  host: '127.0.0.1',
  dataDir,
  longPollTimeout: Number(longPollTimeout),
});
server.start().then(
  (url) => process.stdout.write(`READY ${url}\n`),
  (error) => {
    process.stderr.write(`${error && error.stack ? error.stack : String(error)}\n`);
    process.exit(1);
  },
);
// The parent going away must not leave this process behind.
process.on('disconnect', () => process.exit(0));
