// The byte-level test every Query/Parse passes before anything is parsed: does the SQL mention any
// word that could make it ours (a mirror name, `mooncake`, `lakegate`)? Most OLTP statements fail it
// in well under a microsecond and go upstream as untouched bytes.
//
// The search skips like Horspool's, for a set of words: it looks at the byte ending a window as long as
// the shortest word, and when that byte cannot be part of any word's first `min` bytes at that place,
// no word can start inside the window and it moves on by up to `min` bytes. Ordinary SQL is thus read at
// a few bytes out of every `min`, instead of byte by byte.

// Case folding of a byte read as latin1 (one char per byte): ASCII letters and À–Þ fold, like
// String.toLowerCase on the latin1 reading of raw UTF-8, so no text is decoded or allocated.
const FOLD = new Uint8Array(256);
for (let b = 0; b < 256; b++) FOLD[b] = String.fromCharCode(b).toLowerCase().charCodeAt(0);

export class Precheck {
  /** Length of the shortest word (0: no words). */
  private min = 0;
  /** By raw byte at the end of a window: how far the window may move without passing a word's start. */
  private shift = new Uint8Array(256);
  /** By raw byte at the end of a window: the (folded) words whose byte min-1 it is, which may start there. */
  private byLast: (Uint8Array[] | undefined)[] = [];

  constructor(words: Iterable<string> = []) {
    this.set(words);
  }

  /** Replace the word list (lower-case matching; mirror names are added and removed at runtime). */
  set(words: Iterable<string>): void {
    const uniq = new Set<string>();
    for (const w of words) if (w) uniq.add(Buffer.from(w, 'utf8').toString('latin1').toLowerCase());
    // a word that contains another is redundant: the shorter one already fires
    const needles = [...uniq].filter((w) => ![...uniq].some((o) => o !== w && w.includes(o))).map((w) => Buffer.from(w, 'latin1'));
    const min = needles.length === 0 ? 0 : Math.min(...needles.map((n) => n.length));
    // a window is at most 255 bytes wide here; a longer minimum only skips less
    const m = Math.min(min, 255);
    const folded = new Uint8Array(256).fill(m);
    const lastOf: (Uint8Array[] | undefined)[] = new Array(256).fill(undefined);
    for (const n of needles) {
      for (let j = 0; j < m - 1; j++) folded[n[j]!] = Math.min(folded[n[j]!]!, m - 1 - j);
      (lastOf[n[m - 1]!] ??= []).push(n);
    }
    const shift = new Uint8Array(256);
    const byLast: (Uint8Array[] | undefined)[] = new Array(256).fill(undefined);
    for (let b = 0; b < 256; b++) {
      shift[b] = folded[FOLD[b]!]!;
      byLast[b] = lastOf[FOLD[b]!];
    }
    this.shift = shift;
    this.byLast = byLast;
    this.min = m;
  }

  test(buf: Buffer, start: number, end: number): boolean {
    const m = this.min;
    if (m === 0) return false;
    const shift = this.shift;
    const byLast = this.byLast;
    // i: the last byte of the window [i - m + 1, i]
    for (let i = start + m - 1; i < end; ) {
      const b = buf[i]!;
      const list = byLast[b];
      if (list !== undefined) {
        const from = i - m + 1;
        for (const n of list) {
          if (from + n.length > end) continue;
          let k = 0;
          while (k < n.length && FOLD[buf[from + k]!] === n[k]) k++;
          if (k === n.length) return true;
        }
      }
      i += shift[b]!;
    }
    return false;
  }
}
