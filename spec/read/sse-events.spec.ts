import { from, lastValueFrom, toArray } from 'rxjs';
import { ParseError } from '../../lib/errors/client-errors';
import { ProtocolError } from '../../lib/errors/protocol-error';
import { decodeBase64 } from '../../lib/read/base64';
import { bytesFormat } from '../../lib/read/bytes-format';
import { joinJsonArrays, parseJsonArray } from '../../lib/read/json-array-text';
import type { PayloadContext, SseData } from '../../lib/read/payload-format';
import { initialSseState, parseControl, reduceSse, type SseFrame } from '../../lib/read/sse-events';
import { sseFrames } from '../../lib/read/sse-frames';
import { jsonItemsOfSse } from '../../lib/read/sse-json';

/** The bytes format's SSE decoding (the JSON format has none: its SSE data is the SSE code's, `jsonItemsOfSse`). */
function bytesFromSse(data: SseData, context: PayloadContext): Uint8Array {
  const decode = bytesFormat().fromSse;
  if (!decode) throw new Error('the bytes format decodes SSE data');
  return decode(data, context);
}

/** The typed errors the read path lends SSE parsing (its code loads in a chunk of its own). */
const SSE_ERRORS = { ParseError, ProtocolError };

const URL = 'http://ds.test/v1/stream/s';
const bytes = (text: string) => new TextEncoder().encode(text);

/** Runs the SSE pipeline over `input` cut into the given pieces. */
async function frames(parts: Uint8Array[], start = '0_0'): Promise<SseFrame[]> {
  return lastValueFrom(from(parts).pipe(sseFrames(URL, start, SSE_ERRORS), toArray()));
}

/** Every way of cutting `input` in two, plus one byte at a time. */
function splits(input: Uint8Array): Uint8Array[][] {
  const out: Uint8Array[][] = [[input]];
  for (let at = 1; at < input.length; at++) out.push([input.slice(0, at), input.slice(at)]);
  out.push(Array.from(input, (byte) => Uint8Array.of(byte)));
  return out;
}

describe('SSE events (pure)', () => {
  describe('reduceSse', () => {
    it('holds data events until their control event, then yields them together with the offset they start at', () => {
      let state = initialSseState('0_0');
      const results = [
        { event: 'data', data: '[1]' },
        { event: 'data', data: '[2]' },
        { event: 'control', data: '{"streamNextOffset":"0_2","streamCursor":"c","upToDate":true}' },
      ].map((message) => {
        const result = reduceSse(state, message, URL, SSE_ERRORS);
        state = result.state;
        return result.frame;
      });
      expect(results).toEqual([
        undefined,
        undefined,
        { data: ['[1]', '[2]'], control: { offset: '0_2', cursor: 'c', upToDate: true, closed: false }, from: '0_0' },
      ]);
      expect(state).toEqual({ offset: '0_2', pending: undefined });
    });

    it('ignores unknown event types, and events without a type', () => {
      const state = initialSseState('0_0');
      expect(reduceSse(state, { event: 'ping', data: 'x' }, URL, SSE_ERRORS)).toEqual({ state });
      expect(reduceSse(state, { data: 'x' }, URL, SSE_ERRORS)).toEqual({ state });
    });

    it('does not change the state it was given', () => {
      const state = initialSseState('0_0');
      const one = reduceSse(state, { event: 'data', data: 'x' }, URL, SSE_ERRORS).state;
      reduceSse(one, { event: 'data', data: 'y' }, URL, SSE_ERRORS);
      expect(state.pending).toBeUndefined();
      expect(
        reduceSse(one, { event: 'control', data: '{"streamNextOffset":"1"}' }, URL, SSE_ERRORS).frame!.data,
      ).toEqual(['x']);
    });
  });

  describe('parseControl', () => {
    it('reads offset, cursor, upToDate and closed; closed implies up to date and may lack a cursor', () => {
      expect(parseControl('{"streamNextOffset":"5","streamCursor":"c"}', URL, '4', SSE_ERRORS)).toEqual({
        offset: '5',
        cursor: 'c',
        upToDate: false,
        closed: false,
      });
      expect(parseControl('{"streamNextOffset":"5","streamClosed":true}', URL, '4', SSE_ERRORS)).toEqual({
        offset: '5',
        cursor: undefined,
        upToDate: true,
        closed: true,
      });
    });

    it.each([
      ['not JSON', '{"streamNextOffset":'],
      ['no offset', '{"streamCursor":"c"}'],
      ['empty offset', '{"streamNextOffset":""}'],
      ['an array', '[1]'],
      ['a mistyped flag', '{"streamNextOffset":"5","upToDate":"yes"}'],
      ['a mistyped cursor', '{"streamNextOffset":"5","streamCursor":7}'],
    ])('rejects %s with a ParseError naming the last known offset', (_what, text) => {
      const error = captureError(() => parseControl(text, URL, '0_4', SSE_ERRORS));
      expect(error).toBeInstanceOf(ParseError);
      expect((error as ParseError).offset).toBe('0_4');
      expect((error as ParseError).url).toBe(URL);
    });
  });

  describe('sseFrames over bytes, split at every position', () => {
    const input = bytes(
      [
        ': a comment',
        'event: data',
        'data: [',
        'data: {"k":"€"},',
        'data: {"k":"w"}',
        'data: ]',
        '',
        'event: unknown',
        'data: ignored',
        '',
        'event: control',
        'data: {"streamNextOffset":"0_9","streamCursor":"c1","upToDate":true}',
        '',
        'event: control',
        'data: {"streamNextOffset":"0_9","streamClosed":true}',
        '',
        '',
      ].join('\r\n'),
    );
    const expected: SseFrame[] = [
      {
        data: ['[\n{"k":"€"},\n{"k":"w"}\n]'],
        control: { offset: '0_9', cursor: 'c1', upToDate: true, closed: false },
        from: '0_0',
      },
      { data: [], control: { offset: '0_9', cursor: undefined, upToDate: true, closed: true }, from: '0_9' },
    ];

    it('yields the same frames however the bytes are cut (including inside "€" and inside CRLF)', async () => {
      for (const parts of splits(input)) {
        expect(await frames(parts)).toEqual(expected);
      }
    });

    it('drops an event left incomplete when the body ends: the read resumes from the last control', async () => {
      const cut = bytes(
        'event: control\ndata: {"streamNextOffset":"1"}\n\nevent: data\ndata: lost\n\nevent: control\ndata: {"streamNextOffset":"2"}',
      );
      expect(await frames([cut])).toEqual([
        { data: [], control: { offset: '1', cursor: undefined, upToDate: false, closed: false }, from: '0_0' },
      ]);
    });

    it('fails with a ParseError naming the offset reached when a control event is malformed, at any split', async () => {
      const bad = bytes(
        'event: control\ndata: {"streamNextOffset":"0_3"}\n\nevent: data\ndata: x\n\nevent: control\ndata: {oops}\n\n',
      );
      for (const parts of splits(bad)) {
        const error = await frames(parts).then(
          () => undefined,
          (e: unknown) => e,
        );
        expect(error).toBeInstanceOf(ParseError);
        expect((error as ParseError).offset).toBe('0_3');
      }
    });
  });

  describe('base64 (binary streams)', () => {
    it('decodes, removing the line breaks between data lines', () => {
      expect(Array.from(decodeBase64('AQID\r\nBAUG\nBwgJCg==', URL, '0', { ParseError }))).toEqual([
        1, 2, 3, 4, 5, 6, 7, 8, 9, 10,
      ]);
      expect(decodeBase64('', URL, '0', { ParseError })).toHaveLength(0);
    });

    it.each([['AQI'], ['AQ!D'], ['A===']])('rejects %p with a ParseError', (text) => {
      const error = captureError(() => decodeBase64(text, URL, '0_7', { ParseError }));
      expect(error).toBeInstanceOf(ParseError);
      expect((error as ParseError).offset).toBe('0_7');
    });

    it('a multi-line base64 event split at every byte decodes to the original bytes', async () => {
      const original = Uint8Array.from({ length: 40 }, (_, i) => (i * 37) % 256);
      const b64 = Buffer.from(original).toString('base64');
      const sse = bytes(
        `event: data\ndata: ${b64.slice(0, 20)}\ndata: ${b64.slice(20)}\n\nevent: control\ndata: {"streamNextOffset":"1","streamCursor":"c"}\n\n`,
      );
      for (const parts of splits(sse)) {
        const [frame] = await frames(parts);
        const context = { url: URL, at: frame.from, closed: false, jsonStream: false };
        expect(
          Array.from(
            bytesFromSse(
              { bytes: frame.data.map((text) => decodeBase64(text, URL, frame.from, { ParseError })) },
              context,
            ),
          ),
        ).toEqual(Array.from(original));
      }
    });
  });

  describe('formats over SSE data', () => {
    const context = { url: URL, at: '0_1', closed: false, jsonStream: true };

    it('JSON: concatenates the items of each data event (one array per message)', () => {
      expect(jsonItemsOfSse({ text: ['[1]', '[{"a":2}]', '[]'] }, context, parseJsonArray)).toEqual([1, { a: 2 }]);
    });

    it('JSON: malformed data is a ParseError naming where it starts', () => {
      const error = captureError(() => jsonItemsOfSse({ text: ['[1]', '[2,'] }, context, parseJsonArray));
      expect(error).toBeInstanceOf(ParseError);
      expect((error as ParseError).offset).toBe('0_1');
    });

    it('bytes and text of a JSON stream join the arrays as one response body would', () => {
      expect(new TextDecoder().decode(bytesFromSse({ text: ['[1]', ' [2, 3] ', '[]'] }, context))).toBe('[1,2, 3]');
      expect(new TextDecoder().decode(bytesFromSse({ text: ['[1]', '[2]'] }, context))).toBe('[1,2]');
      expect(captureError(() => joinJsonArrays(['[1]', '2'], URL, '0_1'))).toBeInstanceOf(ParseError);
    });

    it('the bytes of a text stream are the data as sent (readText decodes them)', () => {
      expect(
        new TextDecoder().decode(bytesFromSse({ text: ['héllo ', 'wörld'] }, { ...context, jsonStream: false })),
      ).toBe('héllo wörld');
    });
  });

  describe('parseJsonArray', () => {
    it('parses an array, counts an empty body as no messages', () => {
      expect(parseJsonArray('[1,{"a":[2]}]', URL, '0')).toEqual([1, { a: [2] }]);
      expect(parseJsonArray('', URL, '0')).toEqual([]);
    });

    it.each([['{"a":1}'], ['[1,'], ['nope']])('rejects %p with a ParseError naming the offset', (text) => {
      const error = captureError(() => parseJsonArray(text, URL, '0_5'));
      expect(error).toBeInstanceOf(ParseError);
      expect((error as ParseError).message).toContain('0_5');
    });
  });
});

function captureError(run: () => unknown): unknown {
  try {
    run();
  } catch (error) {
    return error;
  }
  throw new Error('expected an error');
}
