// The reference server in a child process, watched from the server side (see watched-server.ts).
// Answers { id, path } messages with the sockets and open reads it has; exits when the parent goes.
const { DurableStreamTestServer } = require('@durable-streams/server');

async function main() {
  const longPollTimeout = Number(process.argv[2] ?? 2000);
  const server = new DurableStreamTestServer({ port: 0, host: '127.0.0.1', longPollTimeout });
  const url = await server.start();
  const sockets = new Set();
  const open = new Set();
  server.server.on('connection', (socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  });
  server.server.on('request', (req, res) => {
    if (req.method !== 'GET') return;
    open.add(req);
    res.once('close', () => open.delete(req));
  });
  const pathOf = (req) => (req.url || '').split('?')[0];
  const isLive = (req) => /[?&]live=/.test(req.url || '');
  process.on('message', ({ id, path }) => {
    const reads = path === undefined ? [...open] : [...open].filter((req) => pathOf(req) === `/v1/stream/${path}`);
    process.send({ id, sockets: sockets.size, openReads: reads.length, openLive: reads.filter(isLive).length });
  });
  // The server leaves a wait timer per aborted live read: exit rather than wait them out.
  process.on('disconnect', () => process.exit(0));
  process.send({ url });
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
