// A tiny growable byte builder for backend messages (postgres.js' bytes.js idea): write fields, then
// `end()` patches the length. Used only for messages lakegate itself produces; passthrough never re-encodes.

export class Writer {
  private buf: Buffer;
  private pos = 0;
  private start = -1;

  constructor(size = 256) {
    this.buf = Buffer.allocUnsafe(size);
  }

  private ensure(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.pos + n) size *= 2;
    const next = Buffer.allocUnsafe(size);
    this.buf.copy(next, 0, 0, this.pos);
    this.buf = next;
  }

  /** Begin a message with its type byte; the int32 length is filled in by end(). */
  begin(type: number): this {
    this.ensure(5);
    this.buf[this.pos] = type;
    this.start = this.pos + 1;
    this.pos += 5;
    return this;
  }

  end(): this {
    this.buf.writeInt32BE(this.pos - this.start, this.start);
    this.start = -1;
    return this;
  }

  byte(v: number): this {
    this.ensure(1);
    this.buf[this.pos++] = v;
    return this;
  }

  int16(v: number): this {
    this.ensure(2);
    this.buf.writeInt16BE(v, this.pos);
    this.pos += 2;
    return this;
  }

  int32(v: number): this {
    this.ensure(4);
    this.buf.writeInt32BE(v, this.pos);
    this.pos += 4;
    return this;
  }

  /** NUL-terminated UTF-8 string. */
  cstring(s: string): this {
    const n = Buffer.byteLength(s);
    this.ensure(n + 1);
    this.buf.write(s, this.pos, 'utf8');
    this.pos += n;
    this.buf[this.pos++] = 0;
    return this;
  }

  bytes(b: Uint8Array): this {
    this.ensure(b.length);
    this.buf.set(b, this.pos);
    this.pos += b.length;
    return this;
  }

  get length(): number {
    return this.pos;
  }

  /** The bytes written so far (a view; copy if the writer is reused). */
  finish(): Buffer {
    return this.buf.subarray(0, this.pos);
  }

  reset(): void {
    this.pos = 0;
  }
}
