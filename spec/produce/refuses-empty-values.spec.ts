import { firstValueFrom } from 'rxjs';
import { InvalidArgumentError, idempotentProducer } from '../../lib/index';
import { realClient, transports, streamBase, uniquePath } from '../support/real-server';
import { createStream, readText } from './support/read-back';
import { sleep } from '../support/until';

/**
 * An empty string (or empty bytes) on a non-JSON stream is nothing to send:
 * alone in a batch it makes an empty POST, which the server refuses (400,
 * PROTOCOL.md 5.2), and the producer stopped, losing every later append.
 * append() refuses it with InvalidArgumentError, as append(stream, data) does.
 */
describe.each(transports)('producer: empty values on a text stream (%s)', (_name, makeTransport) => {
  it('are refused by append(); the producer goes on', async () => {
    const transport = makeTransport();
    const path = uniquePath('empty-values');
    await createStream(`${streamBase()}/${path}`, 'text/plain');
    const producer = idempotentProducer<string | Uint8Array>(
      realClient(transport).stream(path, { contentType: 'text/plain' }),
      'p',
      { lingerMs: 0 },
    );
    const errors: unknown[] = [];
    producer.errors$.subscribe((error) => errors.push(error));

    expect(() => producer.append('')).toThrow(InvalidArgumentError);
    expect(() => producer.append(new Uint8Array(0))).toThrow(InvalidArgumentError);
    await sleep(20);
    producer.append('x');
    await firstValueFrom(producer.finish());
    await transport.close?.();

    expect(errors).toEqual([]);
    expect(await readText(`${streamBase()}/${path}`)).toBe('x');
  });
});
