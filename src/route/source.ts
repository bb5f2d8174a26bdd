// SQL text as libpg_query sees it. The parser reports UTF-8 *byte* offsets; JavaScript strings are
// indexed in UTF-16 code units, so every location leaving src/route is converted here.

export class SourceText {
  readonly ascii: boolean;
  private byteToIndex: Uint32Array | null = null;

  constructor(readonly text: string) {
    // eslint-disable-next-line no-control-regex
    this.ascii = !/[^\x00-\x7f]/.test(text);
  }

  /** UTF-16 index of a UTF-8 byte offset (identity for pure ASCII, the common case). */
  index(byteOffset: number): number {
    if (this.ascii) return byteOffset;
    const map = (this.byteToIndex ??= buildByteMap(this.text));
    return map[Math.max(0, Math.min(byteOffset, map.length - 1))]!;
  }
}

// map[byte] = UTF-16 index of the character that byte belongs to; one extra slot for the end.
function buildByteMap(text: string): Uint32Array {
  const map = new Uint32Array(Buffer.byteLength(text, 'utf8') + 1);
  let b = 0;
  for (let i = 0; i < text.length; ) {
    const cp = text.codePointAt(i)!;
    const bytes = cp < 0x80 ? 1 : cp < 0x800 ? 2 : cp < 0x10000 ? 3 : 4;
    map.fill(i, b, b + bytes);
    b += bytes;
    i += cp > 0xffff ? 2 : 1;
  }
  map[b] = text.length;
  return map;
}
