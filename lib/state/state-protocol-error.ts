import { DurableStreamError } from '../errors/durable-stream-error.js';
import { describeValue } from '../util/describe-value.js';

/**
 * A batch or message that does not follow the Durable Streams State Protocol.
 * Raised by {@link materialize}, which never skips a malformed message.
 */
export class StateProtocolError extends DurableStreamError {
  override name = 'StateProtocolError';
  /** The offending message (or batch, when the batch itself is malformed). */
  readonly stateMessage: unknown;
  /** The message's position in its batch; `undefined` when the batch is malformed. */
  readonly index: number | undefined;
  /** The `offset` of the batch holding the message (where that batch ends), when it carried one. */
  readonly offset: string | undefined;

  constructor(problem: string, stateMessage: unknown, index?: number, offset?: string) {
    const where =
      index === undefined ? 'Invalid State Protocol batch' : `Invalid State Protocol message at index ${index}`;
    const at = offset === undefined ? '' : ` of the batch ending at offset ${offset}`;
    super('STATE_PROTOCOL_ERROR', `${where}${at}: ${problem}. Got: ${describeValue(stateMessage)}`, {
      url: '',
      hint: 'materialize() stopped at this message; nothing after it was applied',
    });
    this.stateMessage = stateMessage;
    this.index = index;
    this.offset = offset;
  }
}
