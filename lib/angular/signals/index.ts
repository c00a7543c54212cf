/**
 * durable-streams-rx/angular/signals: `withDurableState()`, a State Protocol
 * stream as an NgRx SignalStore feature. An entry of its own because
 * `@ngrx/signals` is an optional peer dependency: apps without it import
 * `durable-streams-rx/angular` and never load this one.
 */
export { withDurableState, type DurableState, type DurableSync } from './with-durable-state.js';
