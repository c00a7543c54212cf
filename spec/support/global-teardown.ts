import type { DurableStreamTestServer } from '@durable-streams/server';

export default async function globalTeardown(): Promise<void> {
  await (globalThis as { __dsServer?: DurableStreamTestServer }).__dsServer?.stop();
}
