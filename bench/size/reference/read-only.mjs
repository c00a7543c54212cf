// A read-only app with @durable-streams/client: every kind of read, and head.
import { DurableStream, stream } from '@durable-streams/client';

const url = '/v1/stream/chat/42';
DurableStream.head({ url }).then((meta) => console.log(meta));
stream({ url, live: true, json: true }).then((response) => response.subscribeJson((batch) => console.log(batch.items)));
stream({ url, live: 'sse' }).then((response) => response.subscribeText((chunk) => console.log(chunk.text)));
stream({ url, live: false }).then((response) => response.subscribeBytes((chunk) => console.log(chunk)));
