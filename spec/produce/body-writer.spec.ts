import { BodyWriter, MAX_STAGED_UNITS } from '../../lib/produce/body-writer';
import { countUtf8, utf8Length } from '../../lib/produce/encode';

const text = (body: Uint8Array | undefined) => (body === undefined ? undefined : new TextDecoder().decode(body));
const utf8 = (value: string) => new TextEncoder().encode(value);

/** The writer as a browser gets it: no Buffer, TextEncoder.encodeInto into views. */
function browserWriter(): typeof BodyWriter {
  const buffer = globalThis.Buffer;
  let loaded: typeof BodyWriter | undefined;
  jest.isolateModules(() => {
    (globalThis as { Buffer?: unknown }).Buffer = undefined;
    try {
      loaded = (require('../../lib/produce/body-writer') as typeof import('../../lib/produce/body-writer')).BodyWriter;
    } finally {
      globalThis.Buffer = buffer;
    }
  });
  return loaded!;
}

describe.each([
  ['Node (Buffer)', () => BodyWriter, utf8Length],
  ['browser (TextEncoder)', browserWriter, countUtf8],
])('BodyWriter, %s', (_runtime, load, length) => {
  const Writer = load();

  it('writes a JSON array, one element per value, and returns each value’s UTF-8 size', () => {
    const writer = new Writer('json', length);
    const values = ['{"a":1}', '"é"', '"😀"', '[1,2]', 'null'];
    const sizes = values.map((value) => writer.write(value));
    expect(sizes).toEqual(values.map((value) => utf8(value).byteLength));
    expect(writer.count).toBe(5);
    expect(text(writer.take())).toBe('[{"a":1},"é","😀",[1,2],null]');
  });

  it('concatenates strings and bytes on a byte stream, without separators', () => {
    const writer = new Writer('bytes', length);
    expect(writer.write('ab')).toBe(2);
    expect(writer.write(new Uint8Array([0x63, 0x64]))).toBe(2);
    expect(writer.write('é')).toBe(2);
    expect([...writer.take()!]).toEqual([...utf8('abcdé')]);
  });

  it('writes a lone surrogate as U+FFFD and counts its three bytes', () => {
    const writer = new Writer('bytes', length);
    expect(writer.write('a\ud800b')).toBe(5);
    expect([...writer.take()!]).toEqual([0x61, 0xef, 0xbf, 0xbd, 0x62]);
  });

  it('takes nothing from an empty body, and opens each next body afresh', () => {
    const writer = new Writer('json', length);
    expect(writer.take()).toBeUndefined();
    writer.write('1');
    expect(text(writer.take())).toBe('[1]');
    expect(writer.count).toBe(0);
    writer.write('2');
    writer.write('3');
    expect(text(writer.take())).toBe('[2,3]');
  });

  it('grows past its buffer, by the exact size when the 3-bytes-a-unit bound does not fit, keeping every byte', () => {
    // A tiny first buffer: nearly every write grows it, with ASCII, 2-, 3- and 4-byte characters.
    const writer = new Writer('json', length, 4);
    const values = Array.from({ length: 200 }, (_, i) =>
      JSON.stringify(`${i}:${'é'.repeat(i % 7)}${'€'.repeat(i % 5)}${'😀'.repeat(i % 3)}`),
    );
    for (const value of values) writer.write(value);
    expect(text(writer.take())).toBe(`[${values.join(',')}]`);
    // A text far larger than the buffer, ASCII: grown to fit, not to three times its length.
    const large = 'x'.repeat(100_000);
    expect(writer.write(large)).toBe(100_000);
    expect(text(writer.take())).toBe(`[${large}]`);
  });

  it('encodes staged texts together, in their place among written values, and counts them exactly', () => {
    const writer = new Writer('json', length);
    writer.stage('"é"');
    writer.stage('{"a":"😀"}');
    expect(writer.count).toBe(2);
    expect(writer.stagedLength).toBe(3 + 10);
    expect(writer.stagedBytes()).toBe(4 + 12);
    // Nothing is encoded yet.
    expect(writer.bytes).toBe(0);
    expect(writer.write('1')).toBe(1);
    expect(writer.bytes).toBe(4 + 12 + 1);
    writer.stage('"a\ud800"');
    writer.stage('2');
    expect(writer.settle()).toBe(1 + 1 + 3 + 1 + 1);
    expect(writer.stagedLength).toBe(0);
    expect(writer.settle()).toBe(0);
    writer.stage('3');
    expect(text(writer.take())).toBe('["é",{"a":"😀"},1,"a\ufffd",2,3]');
    expect(writer.count).toBe(0);
    expect(writer.bytes).toBe(0);
  });

  it('stages up to MAX_STAGED_UNITS, JSON texts always, raw strings only where joining cannot pair surrogates', () => {
    expect(new Writer('json', length).stages('"\ud83d"')).toBe(true);
    const writer = new Writer('bytes', length);
    expect(writer.stages('ab')).toBe(true);
    writer.stage('x'.repeat(MAX_STAGED_UNITS - 2));
    expect(writer.stages('ab')).toBe(true);
    expect(writer.stages('abc')).toBe(false);
    writer.settle();
    expect(writer.stages('a\ud83d')).toBe(false);
    expect(writer.stages('\ude00b')).toBe(false);
    // Written apart, each lone half is U+FFFD; joined, they would make one emoji.
    writer.write('a\ud83d');
    writer.write('\ude00b');
    expect([...writer.take()!].slice(MAX_STAGED_UNITS - 2)).toEqual([0x61, 0xef, 0xbf, 0xbd, 0xef, 0xbf, 0xbd, 0x62]);
  });

  it('keeps staged texts in their place before a write, and takes a body of staged texts alone', () => {
    const writer = new Writer('bytes', length);
    writer.stage('ab');
    writer.write('cd');
    expect(writer.count).toBe(2);
    expect(writer.bytes).toBe(4);
    expect([...writer.take()!]).toEqual([...utf8('abcd')]);
    writer.stage('é');
    writer.stage('f');
    expect([...writer.take()!]).toEqual([...utf8('éf')]);
    writer.stage('"x"');
    expect(writer.take()).toBeDefined();
    const json = new Writer('json', length, 4);
    json.stage('"' + 'y'.repeat(50) + '"');
    json.stage('"z"');
    expect(text(json.take())).toBe(`["${'y'.repeat(50)}","z"]`);
  });

  it('on a byte stream, records where each value ends (bytes, or ~units of a text), afresh per body', () => {
    const writer = new Writer('bytes', length);
    writer.stage('ab');
    writer.write(new Uint8Array([1, 2, 3]));
    writer.stage('é😀');
    writer.write('zz');
    const sizes = writer.sizes;
    expect(sizes).toEqual([~2, 3, ~3, ~2]);
    expect(Array.from(writer.take()!)).toEqual([...utf8('ab'), 1, 2, 3, ...utf8('é😀zz')]);
    expect(sizes).toEqual([~2, 3, ~3, ~2]); // the taken body's list is left as it was
    expect(writer.sizes).toEqual([]);
    expect(new Writer('json', length).sizes).toBeUndefined();
  });

  it('never writes into a body it has handed over', () => {
    const writer = new Writer('json', length, 64);
    const taken: Array<[Uint8Array, string]> = [];
    // Batches of varied sizes: some bodies take the buffer with them, others are copied out of it.
    for (let batch = 0; batch < 40; batch++) {
      const values = Array.from({ length: 1 + ((batch * 7) % 13) }, (_, i) =>
        JSON.stringify({ batch, i, pad: 'p'.repeat((batch * i) % 17) }),
      );
      for (const value of values) writer.write(value);
      taken.push([writer.take()!, `[${values.join(',')}]`]);
    }
    for (const [body, expected] of taken) expect(text(body)).toBe(expected);
  });
});

describe('BodyWriter buffers (Node)', () => {
  it('allocates the next buffer only when a next body needs room, sized from the last body', () => {
    const allocations: number[] = [];
    const allocUnsafe = jest.spyOn(Buffer, 'allocUnsafe').mockImplementation(function (this: unknown, size: number) {
      allocations.push(size);
      return Buffer.alloc(size);
    });
    try {
      // Sized exactly for its one body: the body takes the buffer with it.
      const writer = new BodyWriter('json', utf8Length, 7);
      writer.write('"abc"');
      expect(text(writer.take())).toBe('["abc"]');
      expect(allocations).toEqual([7]);
      // A next body gets a buffer sized from the last one (at least 16 KiB).
      writer.write('1');
      expect(allocations).toEqual([7, 16 * 1024]);
      expect(text(writer.take())).toBe('[1]');
    } finally {
      allocUnsafe.mockRestore();
    }
  });
});
