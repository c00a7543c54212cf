// A live JSON read: the main job of a browser app.
import { DurableStreamsClient } from 'durable-streams-rx';

new DurableStreamsClient({ baseUrl: '/v1/stream' })
  .stream('chat/42')
  .readJson({ live: 'auto' })
  .subscribe((batch) => console.log(batch.items));
