import type { Framing } from '../protocol/content-type.js';

/** The open body's first size, before any batch has taught a better one. */
const INITIAL_CAPACITY = 16 * 1024;
const NO_ROOM = new Uint8Array(0);
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACKET = 0x5d;
const COMMA = 0x2c;
/**
 * At most this many UTF-16 units wait to be encoded: enough to encode dozens
 * of typical values in one call, few enough that staged texts die young
 * rather than being promoted with the batch (measured: staging a whole
 * 1 000-value batch raised the memory bench's peak by several MiB).
 */
export const MAX_STAGED_UNITS = 8192;

/** Node's Buffer, where there is one: it writes UTF-8 at an offset without a view per value. */
interface NodeBuffer extends Uint8Array {
  /** Buffer#write's encoder itself, without its argument juggling (measured: half the cost per value). */
  utf8Write?(text: string, offset: number): number;
  write(text: string, offset: number): number;
}
const NativeBuffer = (globalThis as { Buffer?: { allocUnsafe(size: number): NodeBuffer } }).Buffer;
const encoder = new TextEncoder();

/** A buffer for bodies: uninitialized where the runtime allows (only written bytes are ever handed out). */
function allocate(size: number): Uint8Array {
  return NativeBuffer ? NativeBuffer.allocUnsafe(size) : new Uint8Array(size);
}

/** Writes `text` as UTF-8 at `offset` (the room is known to suffice); returns the bytes written. */
const writeUtf8: (buffer: Uint8Array, text: string, offset: number) => number = !NativeBuffer
  ? (buffer, text, offset) => encoder.encodeInto(text, buffer.subarray(offset)).written
  : typeof NativeBuffer.allocUnsafe(0).utf8Write === 'function'
    ? (buffer, text, offset) => (buffer as Required<NodeBuffer>).utf8Write(text, offset)
    : (buffer, text, offset) => (buffer as NodeBuffer).write(text, offset);

/**
 * Builds the body of the batch each appended value will travel in, once the
 * stream's framing is known: a JSON array (`[`, commas, `]`) on a JSON
 * stream, plain concatenation otherwise. Pure: no I/O, no timers.
 *
 * A text can be written at once ({@link write}, which returns its exact
 * UTF-8 size) or staged ({@link stage}): staged texts wait, unencoded, until
 * the body is taken or a size is needed, and are then joined and encoded in
 * one go. Why: encoding is a call into the runtime, and one call per batch
 * costs a fraction of one per value (measured: about a third of the
 * producer's per-value cost beyond `JSON.stringify`). The producer stages
 * while a text, even at three bytes per UTF-16 unit, can close no batch and
 * overflow no buffer, and writes exactly otherwise, so its byte budgets stay
 * exact.
 *
 * `take()` hands the open body over and starts the next one. A body that
 * fills its buffer takes the buffer with it (a fresh one, sized from it,
 * opens the next body); a body that would waste over a quarter of its
 * buffer is copied out instead, and the buffer stays for the next body.
 */
export class BodyWriter {
  // Fields set by the constructor or later are `declare`d: a bundle then carries no definition of each (size).
  declare private buffer: Uint8Array;
  /** The size of the next buffer, once a body has taken the last one with it (allocated when the next body needs room). */
  private nextCapacity = 0;
  /** Bytes of the open body, brackets and commas included (the closing bracket is not yet written). */
  private length = 0;
  /** Values encoded into the open body, and their bytes (separators not counted). */
  private written = 0;
  private writtenBytes = 0;
  /** On a byte stream, each value's size in the open body, so it can be cut out again (see {@link sizes}). */
  declare private valueSizes: number[] | undefined;
  /** Texts appended after those, in order, not yet encoded. */
  private staged: string[] = [];
  private stagedUnits = 0;

  declare private readonly framing: Framing;
  /** `utf8Length` (of the initial code: lent, this runs in the producer's lazy chunk). */
  declare private readonly utf8Length: (text: string) => number;

  constructor(framing: Framing, utf8Length: (text: string) => number, capacity = INITIAL_CAPACITY) {
    this.framing = framing;
    this.utf8Length = utf8Length;
    this.buffer = allocate(capacity);
    if (framing === 'bytes') this.valueSizes = [];
  }

  /** Values in the open body, staged ones included. */
  get count(): number {
    return this.written + this.staged.length;
  }

  /** UTF-8 bytes of the values encoded so far (separators, and staged texts, not counted). */
  get bytes(): number {
    return this.writtenBytes;
  }

  /**
   * On a byte stream (where nothing in the body marks where a value ends),
   * the size of each value of the open body, in order: a byte length for
   * bytes, `~units` (negative) for a text of that many UTF-16 units. Taken
   * with the body: {@link take} starts a new list. Undefined on a JSON
   * stream, whose body parses back into its values.
   */
  get sizes(): readonly number[] | undefined {
    return this.valueSizes;
  }

  /** UTF-16 units of the staged texts: once encoded, at most three bytes each. */
  get stagedLength(): number {
    return this.stagedUnits;
  }

  /** The exact UTF-8 size of the staged texts, counted without encoding them. */
  stagedBytes(): number {
    let bytes = 0;
    for (const text of this.staged) bytes += this.utf8Length(text);
    return bytes;
  }

  /**
   * Whether `text` may be staged: the staged texts stay under
   * {@link MAX_STAGED_UNITS}, and `text`, encoded joined to its neighbours,
   * is encoded as it would be alone. JSON texts are (commas part them); a
   * raw string that ends in a high surrogate or begins with a low one is
   * not, since joining could pair it with the next or previous text.
   */
  stages(text: string): boolean {
    if (this.stagedUnits + text.length > MAX_STAGED_UNITS) return false;
    if (this.framing === 'json' || text.length === 0) return true;
    return (text.charCodeAt(text.length - 1) & 0xfc00) !== 0xd800 && (text.charCodeAt(0) & 0xfc00) !== 0xdc00;
  }

  /** Appends one value's JSON text (JSON framing) or raw string, to be encoded with the others later (see {@link stages}). */
  stage(text: string): void {
    this.valueSizes?.push(~text.length);
    this.staged.push(text);
    this.stagedUnits += text.length;
  }

  /** Encodes the staged texts, all in one call, and returns their UTF-8 size (separators not counted). */
  settle(): number {
    const staged = this.staged;
    if (staged.length === 0) return 0;
    const json = this.framing === 'json';
    const text = staged.length === 1 ? staged[0] : staged.join(json ? ',' : '');
    // The joined text holds a one-byte comma between each two values.
    const bytes = this.writeText(text, json) - (json ? staged.length - 1 : 0);
    this.written += staged.length;
    this.writtenBytes += bytes;
    this.staged = [];
    this.stagedUnits = 0;
    return bytes;
  }

  /**
   * Appends one value's JSON text (JSON framing) or its raw string or bytes,
   * encoded now (after any staged texts, which keep their place), and
   * returns its size in bytes (UTF-8 for text; separators not counted).
   * Lone surrogates are written as U+FFFD, as `TextEncoder` does.
   */
  write(data: string | Uint8Array): number {
    this.settle();
    const json = this.framing === 'json';
    const bytes = typeof data === 'string' ? this.writeText(data, json) : this.writeBytes(data, json);
    this.valueSizes?.push(typeof data === 'string' ? ~data.length : bytes);
    this.written++;
    this.writtenBytes += bytes;
    return bytes;
  }

  /** Closes the open body, staged texts encoded, and hands it over (undefined when it has no value); the next body opens empty. */
  take(): Uint8Array | undefined {
    this.settle();
    if (this.written === 0) return undefined;
    if (this.framing === 'json') this.buffer[this.length++] = CLOSE_BRACKET;
    const end = this.length;
    let body: Uint8Array;
    if (this.buffer.length - end > end / 4) {
      body = new Uint8Array(end);
      body.set(this.buffer.subarray(0, end));
    } else {
      body = new Uint8Array(this.buffer.buffer, this.buffer.byteOffset, end);
      // The next buffer waits for the next body: a writer taken for the last time allocates nothing more.
      this.buffer = NO_ROOM;
      this.nextCapacity = Math.max(INITIAL_CAPACITY, end + (end >> 3));
    }
    this.length = 0;
    this.written = 0;
    this.writtenBytes = 0;
    if (this.valueSizes) this.valueSizes = [];
    return body;
  }

  /** Writes a separator (JSON) and `text`; returns the text's bytes. */
  private writeText(text: string, json: boolean): number {
    // A separator before the text; and room kept for the closing bracket.
    const around = json ? 2 : 0;
    // Each UTF-16 unit takes at most 3 bytes: with that much room the text surely
    // fits; short of it (near the buffer's end), grow by the exact size.
    if (this.length + around + text.length * 3 > this.buffer.length) this.ensure(around + this.utf8Length(text));
    this.writePrefix(json);
    const written = writeUtf8(this.buffer, text, this.length);
    this.length += written;
    return written;
  }

  private writeBytes(data: Uint8Array, json: boolean): number {
    this.ensure((json ? 2 : 0) + data.byteLength);
    this.writePrefix(json);
    this.buffer.set(data, this.length);
    this.length += data.byteLength;
    return data.byteLength;
  }

  private writePrefix(json: boolean): void {
    if (json) this.buffer[this.length++] = this.written === 0 ? OPEN_BRACKET : COMMA;
  }

  /** Room for `bytes` more; a larger buffer keeps what the open body holds. */
  private ensure(bytes: number): void {
    const needed = this.length + bytes;
    if (needed <= this.buffer.length) return;
    const grown = allocate(Math.max(needed, this.buffer.length * 2, this.nextCapacity));
    grown.set(this.buffer.subarray(0, this.length));
    this.buffer = grown;
  }
}
