/*
 * What a live read needs only once it goes live: SSE connections (with the
 * `eventsource-parser` dependency and the frame reducer), the tail the
 * client's live reads of a stream share, the silence bound and SSE's
 * fallback guard of live requests, and the checks that decide whether a
 * read needs the cross-tab and budget code (which loads, where needed, as
 * a lazy chunk of its own: tabs-and-budget.ts). A live read starts loading this
 * module with `import()` as it subscribes (`ClientReads.liveCode`), so a
 * bundler makes it a lazy chunk, as an Angular lazy route, and it loads
 * while the read catches up; a read that stops when up to date never loads
 * it. Where it fails to load (a deployment removed the chunk), a live read
 * goes on with its own long-poll loop, unshared.
 *
 * It imports no module of the read path's initial code: what it needs of it
 * is lent (`LiveReadsLoan`, `SseLoan`, and a read's own loop in
 * `LiveRead`), and type imports are erased. A module it shared with
 * the initial code would go into a chunk of its own, splitting the initial
 * code into two files (see tabs-and-budget.ts); the size spec checks it.
 */
export { liveReads } from './live-reads.js';
export { sseConnection } from './sse-source.js';
