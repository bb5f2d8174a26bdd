// The byte-level test every Query/Parse passes before anything is parsed: does the SQL mention any
// word that could make it ours (a mirror name, `mooncake`, `lakegate`)? Most OLTP statements fail it
// in well under a microsecond and go upstream as untouched bytes.
//
// The search skips like Wu and Manber's for a set of words: it looks at the two bytes ending a window as
// long as the shortest word, and unless that pair ends some word's first `min` bytes, no word starts at the
// window and it moves on by as much as the pair allows (up to min-1 bytes). Ordinary SQL is thus read at
// about one pair in every min-1 bytes instead of byte by byte; pairs are rare enough in SQL that a word
// ending in a common letter (`lakegate`) does not make every `e` a candidate.

// Case folding of a byte read as latin1 (one char per byte): ASCII letters and À–Þ fold, like
// String.toLowerCase on the latin1 reading of raw UTF-8, so no text is decoded or allocated.
const FOLD = new Uint8Array(256);
for (let b = 0; b < 256; b++) FOLD[b] = String.fromCharCode(b).toLowerCase().charCodeAt(0);

export class Precheck {
  /** Length of the shortest word (0: no words), at most 255 (a longer minimum only skips less). */
  private min = 0;
  /** By the raw byte pair ending a window (first byte << 8 | second): how far it may move; 0 = verify here. */
  private skip = new Uint8Array(0);
  /** By folded byte pair: the words whose first `min` bytes end with it. */
  private last = new Map<number, Uint8Array[]>();
  /** min = 1: the words by their folded first byte. */
  private first: (Uint8Array[] | undefined)[] = [];

  constructor(words: Iterable<string> = []) {
    this.set(words);
  }

  /** Replace the word list (lower-case matching; mirror names are added and removed at runtime). */
  set(words: Iterable<string>): void {
    const uniq = new Set<string>();
    for (const w of words) if (w) uniq.add(Buffer.from(w, 'utf8').toString('latin1').toLowerCase());
    // a word that contains another is redundant: the shorter one already fires
    const needles = [...uniq].filter((w) => ![...uniq].some((o) => o !== w && w.includes(o))).map((w) => Buffer.from(w, 'latin1'));
    const m = needles.length === 0 ? 0 : Math.min(255, ...needles.map((n) => n.length));
    const first: (Uint8Array[] | undefined)[] = new Array(256).fill(undefined);
    const last = new Map<number, Uint8Array[]>();
    let skip = new Uint8Array(0);
    if (m === 1) {
      for (const n of needles) (first[n[0]!] ??= []).push(n);
    } else if (m > 1) {
      // by folded pair: the least distance from a place in some word's first m bytes to byte m-1
      const folded = new Uint8Array(65536).fill(m - 1);
      for (const n of needles) {
        for (let j = 1; j < m; j++) {
          const pair = (n[j - 1]! << 8) | n[j]!;
          folded[pair] = Math.min(folded[pair]!, m - 1 - j);
        }
        const end = (n[m - 2]! << 8) | n[m - 1]!;
        last.set(end, [...(last.get(end) ?? []), n]);
      }
      skip = new Uint8Array(65536);
      for (let a = 0; a < 256; a++) {
        const row = FOLD[a]! << 8;
        for (let b = 0; b < 256; b++) skip[(a << 8) | b] = folded[row | FOLD[b]!]!;
      }
    }
    this.min = m;
    this.skip = skip;
    this.last = last;
    this.first = first;
  }

  test(buf: Buffer, start: number, end: number): boolean {
    const m = this.min;
    if (m === 0) return false;
    if (m === 1) {
      for (let i = start; i < end; i++) {
        const words = this.first[FOLD[buf[i]!]!];
        if (words !== undefined && startsWith(buf, i, end, words)) return true;
      }
      return false;
    }
    const skip = this.skip;
    // i: the last byte of the window [i - m + 1, i]
    for (let i = start + m - 1; i < end; ) {
      const s = skip[(buf[i - 1]! << 8) | buf[i]!]!;
      if (s !== 0) {
        i += s;
        continue;
      }
      if (startsWith(buf, i - m + 1, end, this.last.get((FOLD[buf[i - 1]!]! << 8) | FOLD[buf[i]!]!)!)) return true;
      i++;
    }
    return false;
  }
}

/** Whether one of `words` (folded) starts at buf[from] and ends before `end`. */
function startsWith(buf: Buffer, from: number, end: number, words: Uint8Array[]): boolean {
  for (const n of words) {
    if (from + n.length > end) continue;
    let k = 0;
    while (k < n.length && FOLD[buf[from + k]!] === n[k]) k++;
    if (k === n.length) return true;
  }
  return false;
}
