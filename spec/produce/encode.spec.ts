import { InvalidArgumentError } from '../../lib/errors';
import type { Framing } from '../../lib/protocol/content-type';
import { BodyWriter } from '../../lib/produce/body-writer';
import { countUtf8, encodeValue, entryData, utf8Length, type Entry } from '../../lib/produce/encode';

const url = 'http://x/s';
const decode = (body: Uint8Array | undefined) => new TextDecoder().decode(body);

/** A batch's body, as the producer writes one: each value as the stream frames it. */
function batchBody(entries: readonly Entry[], framing: Framing, at = url): Uint8Array | undefined {
  const writer = new BodyWriter(framing, utf8Length);
  for (const entry of entries) writer.write(entryData(entry, framing, at));
  return writer.take();
}

describe('producer encoding', () => {
  it('builds one JSON array per batch in which every value, arrays included, is one element', () => {
    const entries = [{ a: 1 }, [1, 2], 'text', null, [[3]]].map((value) => encodeValue(value, 'json', url));
    const body = batchBody(entries, 'json', url);
    expect(body).toBeInstanceOf(Uint8Array);
    expect(decode(body)).toBe('[{"a":1},[1,2],"text",null,[[3]]]');
  });

  it('counts UTF-8 bytes of the serialized value', () => {
    expect(encodeValue({ s: 'é' }, 'json', url).bytes).toBe(new TextEncoder().encode('{"s":"é"}').byteLength);
    expect(encodeValue(new Uint8Array(7), 'bytes', url).bytes).toBe(7);
  });

  it('refuses what JSON cannot carry, at the append', () => {
    expect(() => encodeValue(undefined, 'json', url)).toThrow(InvalidArgumentError);
    const cyclic: { self?: unknown } = {};
    cyclic.self = cyclic;
    expect(() => encodeValue(cyclic, 'json', url)).toThrow(/not serializable/);
    expect(() => encodeValue(10n, 'json', url)).toThrow(InvalidArgumentError);
  });

  it('concatenates strings and bytes on other streams', () => {
    const text = ['ab', 'ç', 'd'].map((value) => encodeValue(value, 'bytes', url));
    expect(decode(batchBody(text, 'bytes', url))).toBe('abçd');
    const mixed = [
      encodeValue('aé', 'bytes', url),
      encodeValue(new Uint8Array([0, 255]), 'bytes', url),
      encodeValue('z', 'bytes', url),
    ];
    const body = batchBody(mixed, 'bytes', url) as Uint8Array;
    expect(Array.from(body)).toEqual([...new TextEncoder().encode('aé'), 0, 255, ...new TextEncoder().encode('z')]);
  });

  it('refuses non-string values on other streams', () => {
    expect(() => encodeValue({ a: 1 }, 'bytes', url)).toThrow(/strings or Uint8Array only; got object/);
    expect(() => encodeValue(5, 'bytes', url)).toThrow(InvalidArgumentError);
  });

  it('settles values appended before the framing was known once it is', () => {
    const early = ['text', { a: 1 }].map((value) => encodeValue(value, undefined, url));
    expect(JSON.parse(decode(batchBody(early, 'json', url)))).toEqual(['text', { a: 1 }]);
    expect(decode(batchBody([encodeValue('raw', undefined, url)], 'bytes', url))).toBe('raw');
    expect(() => batchBody([encodeValue({ a: 1 }, undefined, url)], 'bytes', url)).toThrow(InvalidArgumentError);
    expect(() => batchBody([encodeValue(new Uint8Array(1), undefined, url)], 'json', url)).toThrow(
      /Uint8Array cannot be appended to a JSON stream/,
    );
  });

  it('sizes a JSON body exactly: multi-byte text, astral characters, lone surrogates and raw strings quoted late', () => {
    const values = ['é', '😀', { s: 'ü\u2028' }, '\ud800', 'a"b'];
    const entries = [...values.map((value) => encodeValue(value, 'json', url)), encodeValue('ré"', undefined, url)];
    const body = batchBody(entries, 'json', url) as Uint8Array;
    const expected = new TextEncoder().encode(JSON.stringify([...values, 'ré"']));
    expect(Array.from(body)).toEqual(Array.from(expected));
    expect(JSON.parse(decode(body))).toEqual([...values, 'ré"']);
  });

  it('has no body for no entries (close-only)', () => {
    expect(batchBody([], 'json', url)).toBeUndefined();
    expect(decode(batchBody([encodeValue(1, 'json', url)], 'json', url))).toBe('[1]');
  });

  it.each([
    ['ascii', 'hello'],
    ['two-byte', 'é ß'],
    ['three-byte', '€ 日本'],
    ['surrogate pair', '😀x'],
    ['lone high surrogate', 'a\ud800b'],
    ['lone low surrogate', '\udc00'],
    ['empty', ''],
  ])('measures UTF-8 length like TextEncoder: %s', (_name, text) => {
    const expected = new TextEncoder().encode(text).byteLength;
    expect(countUtf8(text)).toBe(expected);
    expect(utf8Length(text)).toBe(expected);
  });
});
