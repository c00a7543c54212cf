import { entryData, utf8Length, type Entry, type Framing } from './encode.js';

/** The open body's first size, before any batch has taught a better one. */
const INITIAL_CAPACITY = 16 * 1024;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACKET = 0x5d;
const COMMA = 0x2c;

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
    ? (buffer, text, offset) => (buffer as NodeBuffer).utf8Write!(text, offset)
    : (buffer, text, offset) => (buffer as NodeBuffer).write(text, offset);

/**
 * Writes each appended value straight into the body of the batch it will
 * travel in, once the stream's framing is known: a JSON array (`[`, commas,
 * `]`) on a JSON stream, plain concatenation otherwise. Pure: no I/O, no
 * timers.
 *
 * Why: encoding at append gives each value's exact UTF-8 size as a by-product
 * (no separate count), the value's text dies at once instead of waiting in
 * the batch (so V8's young generation stays small under load), and a batch
 * is sealed without joining or copying its values again.
 *
 * `take()` hands the open body over and starts the next one. A body that
 * fills its buffer takes the buffer with it (a fresh one, sized from it,
 * opens the next body); a body that would waste over a quarter of its
 * buffer is copied out instead, and the buffer stays for the next body.
 */
export class BodyWriter {
  private buffer: Uint8Array;
  /** Bytes of the open body, brackets and commas included (the closing bracket is not yet written). */
  private length = 0;
  private values = 0;
  /** Where the open body stood before the last write, for {@link undo}. */
  private undoLength = 0;
  private undoValues = 0;

  constructor(
    private readonly framing: Framing,
    capacity = INITIAL_CAPACITY,
  ) {
    this.buffer = allocate(capacity);
  }

  /** Values in the open body. */
  get count(): number {
    return this.values;
  }

  /**
   * Appends one value's JSON text (JSON framing) or its raw string or bytes,
   * and returns its size in bytes (UTF-8 for text; separators not counted).
   * Lone surrogates are written as U+FFFD, as `TextEncoder` does.
   */
  write(data: string | Uint8Array): number {
    this.undoLength = this.length;
    this.undoValues = this.values;
    const json = this.framing === 'json';
    // A separator before the value; and room kept for the closing bracket.
    const prefix = json ? 1 : 0;
    const reserve = json ? 1 : 0;
    if (typeof data !== 'string') {
      this.ensure(prefix + data.byteLength + reserve);
      this.writePrefix(json);
      this.buffer.set(data, this.length);
      this.length += data.byteLength;
      this.values++;
      return data.byteLength;
    }
    // Each UTF-16 unit takes at most 3 bytes: with that much room the text surely
    // fits; short of it (near the buffer's end), grow by the exact size.
    if (this.length + prefix + data.length * 3 + reserve > this.buffer.length) this.ensure(prefix + utf8Length(data) + reserve);
    this.writePrefix(json);
    const written = writeUtf8(this.buffer, data, this.length);
    this.length += written;
    this.values++;
    return written;
  }

  /** Takes back the last {@link write} (an append refused after all: the buffer is full). */
  undo(): void {
    this.length = this.undoLength;
    this.values = this.undoValues;
  }

  /** Closes the open body and hands it over (undefined when no value was written); the next body opens empty. */
  take(): Uint8Array | undefined {
    if (this.values === 0) return undefined;
    if (this.framing === 'json') this.buffer[this.length++] = CLOSE_BRACKET;
    const end = this.length;
    let body: Uint8Array;
    if (this.buffer.length - end > end / 4) {
      body = new Uint8Array(end);
      body.set(this.buffer.subarray(0, end));
    } else {
      body = new Uint8Array(this.buffer.buffer, this.buffer.byteOffset, end);
      this.buffer = allocate(Math.max(INITIAL_CAPACITY, end + (end >> 3)));
    }
    this.length = 0;
    this.values = 0;
    this.undoLength = 0;
    this.undoValues = 0;
    return body;
  }

  private writePrefix(json: boolean): void {
    if (json) this.buffer[this.length++] = this.values === 0 ? OPEN_BRACKET : COMMA;
  }

  /** Room for `bytes` more; a larger buffer keeps what the open body holds. */
  private ensure(bytes: number): void {
    const needed = this.length + bytes;
    if (needed <= this.buffer.length) return;
    const grown = allocate(Math.max(needed, this.buffer.length * 2));
    grown.set(this.buffer.subarray(0, this.length));
    this.buffer = grown;
  }
}

/**
 * The body of a batch whose values were encoded on their own (appended
 * before the framing was known, or `closeStream()`'s last value), written
 * the same way: a JSON array on a JSON stream, the concatenated bytes
 * otherwise; undefined for no entries (close-only).
 *
 * Always bytes, never a string: a body lives until its batch is
 * acknowledged, long enough to be promoted out of V8's young generation,
 * where a string would swell the old generation until a full collection
 * (measured: 1M appends through an 8 MiB buffer grew RSS by ~150 MiB with
 * string bodies, about a third of that with bytes).
 */
export function batchBody(entries: readonly Entry[], framing: Framing, url: string): Uint8Array | undefined {
  if (entries.length === 0) return undefined;
  // Sized from the entries (brackets and commas on a JSON stream); quoting a raw string grows it.
  let size = framing === 'json' ? entries.length + 1 : 0;
  for (const entry of entries) size += entry.bytes;
  const writer = new BodyWriter(framing, size);
  for (const entry of entries) writer.write(entryData(entry, framing, url));
  return writer.take();
}
