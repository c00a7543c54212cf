// Everything the main entry exports.
export * from 'durable-streams-rx';
