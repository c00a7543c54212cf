/**
 * `durable-streams-rx/node`: what only Node has. `fileOutbox(dir)`, the
 * producer's outbox in a directory, whose saved values survive the process.
 * The main entry never imports it; it imports nothing of Node's own
 * transport (pass `undiciTransport()` from `durable-streams-rx/undici` for
 * that).
 */
export { fileOutbox } from './file-outbox.js';
