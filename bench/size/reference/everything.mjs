// Everything @durable-streams/client exports.
export * from '@durable-streams/client';
