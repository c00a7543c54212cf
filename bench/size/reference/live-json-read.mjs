// A live JSON read with @durable-streams/client's stream().
import { stream } from '@durable-streams/client';

stream({ url: '/v1/stream/chat/42', live: true, json: true }).then((response) =>
  response.subscribeJson((batch) => console.log(batch.items)),
);
