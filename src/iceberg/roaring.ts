// 32-bit Roaring bitmaps in the portable serialization (RoaringFormatSpec), the format inside Iceberg v3
// deletion vectors. Containers are chosen the way the Java and C libraries do after runOptimize(), so the
// bytes match theirs: an array for ≤ 4096 values, else a bitmap; a run container instead whenever it is
// strictly smaller.

const SERIAL_COOKIE_NO_RUNCONTAINER = 12346;
const SERIAL_COOKIE = 12347;
const NO_OFFSET_THRESHOLD = 4;
const ARRAY_MAX = 4096;
const BITMAP_BYTES = 8192;

type Container =
  | { kind: 'array'; key: number; values: Uint16Array }
  | { kind: 'bitmap'; key: number; words: Uint8Array; card: number }
  | { kind: 'run'; key: number; runs: Uint16Array /* start, length-1 pairs */; card: number };

const cardinality = (c: Container) => (c.kind === 'array' ? c.values.length : c.card);

function countRuns(lows: Uint16Array): number {
  let runs = 0;
  for (let i = 0; i < lows.length; i++) if (i === 0 || lows[i]! !== lows[i - 1]! + 1) runs++;
  return runs;
}

function container(key: number, lows: Uint16Array): Container {
  const card = lows.length;
  const nruns = countRuns(lows);
  const runBytes = 2 + 4 * nruns;
  const plainBytes = card <= ARRAY_MAX ? 2 * card : BITMAP_BYTES;
  if (runBytes < plainBytes) {
    const runs = new Uint16Array(2 * nruns);
    let r = -1;
    for (let i = 0; i < card; i++) {
      if (i === 0 || lows[i]! !== lows[i - 1]! + 1) {
        r++;
        runs[2 * r] = lows[i]!;
        runs[2 * r + 1] = 0;
      } else {
        runs[2 * r + 1]!++;
      }
    }
    return { kind: 'run', key, runs, card };
  }
  if (card <= ARRAY_MAX) return { kind: 'array', key, values: lows };
  const words = new Uint8Array(BITMAP_BYTES);
  for (let i = 0; i < card; i++) words[lows[i]! >>> 3]! |= 1 << (lows[i]! & 7);
  return { kind: 'bitmap', key, words, card };
}

function bodySize(c: Container): number {
  if (c.kind === 'array') return 2 * c.values.length;
  if (c.kind === 'bitmap') return BITMAP_BYTES;
  return 2 + 2 * c.runs.length;
}

/** Serialize strictly ascending 32-bit unsigned values. */
export function serializeRoaring32(values: ArrayLike<number>): Buffer {
  const containers: Container[] = [];
  let i = 0;
  while (i < values.length) {
    const key = values[i]! >>> 16;
    let j = i;
    while (j < values.length && values[j]! >>> 16 === key) j++;
    const lows = new Uint16Array(j - i);
    for (let k = i; k < j; k++) lows[k - i] = values[k]! & 0xffff;
    containers.push(container(key, lows));
    i = j;
  }
  const n = containers.length;
  const hasRuns = containers.some((c) => c.kind === 'run');
  const withOffsets = !hasRuns || n >= NO_OFFSET_THRESHOLD;
  const headerBytes = (hasRuns ? 4 + Math.ceil(n / 8) : 8) + 4 * n + (withOffsets ? 4 * n : 0);
  const total = headerBytes + containers.reduce((a, c) => a + bodySize(c), 0);
  const out = Buffer.alloc(total);
  let p = 0;
  if (hasRuns) {
    out.writeUInt32LE((SERIAL_COOKIE | ((n - 1) << 16)) >>> 0, p);
    p += 4;
    containers.forEach((c, k) => {
      if (c.kind === 'run') out[p + (k >>> 3)]! |= 1 << (k & 7);
    });
    p += Math.ceil(n / 8);
  } else {
    out.writeUInt32LE(SERIAL_COOKIE_NO_RUNCONTAINER, p);
    out.writeUInt32LE(n, p + 4);
    p += 8;
  }
  for (const c of containers) {
    out.writeUInt16LE(c.key, p);
    out.writeUInt16LE(cardinality(c) - 1, p + 2);
    p += 4;
  }
  if (withOffsets) {
    let off = headerBytes;
    for (const c of containers) {
      out.writeUInt32LE(off, p);
      p += 4;
      off += bodySize(c);
    }
  }
  for (const c of containers) {
    if (c.kind === 'array') {
      for (const v of c.values) {
        out.writeUInt16LE(v, p);
        p += 2;
      }
    } else if (c.kind === 'bitmap') {
      out.set(c.words, p);
      p += BITMAP_BYTES;
    } else {
      out.writeUInt16LE(c.runs.length / 2, p);
      p += 2;
      for (const v of c.runs) {
        out.writeUInt16LE(v, p);
        p += 2;
      }
    }
  }
  return out;
}

/** Read a portable 32-bit Roaring bitmap at `offset`: its values ascending and the bytes it occupies. */
export function deserializeRoaring32(buf: Buffer, offset = 0): { values: number[]; bytes: number } {
  let p = offset;
  const need = (n: number) => {
    if (p + n > buf.length) throw new Error('Roaring bitmap is truncated');
  };
  need(4);
  const cookie = buf.readUInt32LE(p);
  let n: number;
  let runFlags: Buffer | null = null;
  if ((cookie & 0xffff) === SERIAL_COOKIE) {
    n = (cookie >>> 16) + 1;
    p += 4;
    need(Math.ceil(n / 8));
    runFlags = buf.subarray(p, p + Math.ceil(n / 8));
    p += Math.ceil(n / 8);
  } else if (cookie === SERIAL_COOKIE_NO_RUNCONTAINER) {
    need(8);
    n = buf.readUInt32LE(p + 4);
    p += 8;
  } else {
    throw new Error(`not a portable Roaring bitmap (cookie ${cookie})`);
  }
  need(4 * n);
  const keys: number[] = [];
  const cards: number[] = [];
  for (let k = 0; k < n; k++) {
    keys.push(buf.readUInt16LE(p));
    cards.push(buf.readUInt16LE(p + 2) + 1);
    p += 4;
  }
  if (!runFlags || n >= NO_OFFSET_THRESHOLD) p += 4 * n; // offsets: containers follow in order anyway
  const values: number[] = [];
  for (let k = 0; k < n; k++) {
    const high = keys[k]! * 0x10000;
    const isRun = runFlags !== null && (runFlags[k >>> 3]! & (1 << (k & 7))) !== 0;
    if (isRun) {
      need(2);
      const nruns = buf.readUInt16LE(p);
      p += 2;
      need(4 * nruns);
      for (let r = 0; r < nruns; r++) {
        const start = buf.readUInt16LE(p);
        const len = buf.readUInt16LE(p + 2);
        p += 4;
        for (let v = start; v <= start + len; v++) values.push(high + v);
      }
    } else if (cards[k]! <= ARRAY_MAX) {
      need(2 * cards[k]!);
      for (let v = 0; v < cards[k]!; v++) values.push(high + buf.readUInt16LE(p + 2 * v));
      p += 2 * cards[k]!;
    } else {
      need(BITMAP_BYTES);
      for (let b = 0; b < BITMAP_BYTES; b++) {
        const byte = buf[p + b]!;
        if (byte === 0) continue;
        for (let bit = 0; bit < 8; bit++) if (byte & (1 << bit)) values.push(high + b * 8 + bit);
      }
      p += BITMAP_BYTES;
    }
  }
  return { values, bytes: p - offset };
}
