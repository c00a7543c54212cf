import { Dispatcher } from 'undici';

/**
 * Whether undici's clients start this dispatcher's requests (undici's own
 * dispatchers, MockAgent included): they call a request handler's
 * `onConnect` right before they write the request to the socket, never
 * while it waits in a pool's queue, which is when `onSent` is told (see
 * dispatch-request.ts). A dispatcher of another make may never say, and a
 * request it sent would pass for one that waited: the transport then does
 * not report sending.
 */
export function startsRequestsVisibly(dispatcher: Dispatcher): boolean {
  return dispatcher instanceof Dispatcher;
}
