import { resolve } from 'node:path';
import { firstValueFrom } from 'rxjs';
import { DurableStreamsClient, createStream } from '../../lib/index';
import { undiciTransport } from '../../lib/undici';
import { startFeedServer, type FeedServer } from './feed-server';
import { startStreamServer, type StreamServer } from './stream-server';

/**
 * What every e2e of the Angular example stands on: the reference server, the example's site in front of it
 * (examples/angular-feed, rendered on the server), and a client in Node that creates, writes and reads streams beside
 * the page.
 */
export interface ExampleServers {
  readonly streams: StreamServer;
  readonly site: FeedServer;
  /** The streams server from Node, over undici. */
  readonly client: DurableStreamsClient;
  /** Creates a JSON stream under a path of its own (`<prefix>-<name>-…`) and gives that path. */
  newStream(name: string): Promise<string>;
  close(): Promise<void>;
}

export async function startExampleServers(prefix: string): Promise<ExampleServers> {
  const streams = await startStreamServer();
  let site: FeedServer;
  try {
    site = await startFeedServer(resolve(__dirname, '..', '..'), streams.url);
  } catch (error) {
    await streams.close();
    throw error;
  }
  const transport = undiciTransport();
  const client = new DurableStreamsClient({ baseUrl: `${streams.url}/v1/stream`, transport });
  let counter = 0;
  return {
    streams,
    site,
    client,
    async newStream(name) {
      const path = `${prefix}-${name}-${process.pid}-${Date.now().toString(36)}-${counter++}`;
      await firstValueFrom(createStream(client.stream(path), { contentType: 'application/json' }));
      return path;
    },
    async close() {
      await site.close();
      await transport.close();
      await streams.close();
    },
  };
}
