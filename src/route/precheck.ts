// The byte-level test every Query/Parse passes before anything is parsed: does the SQL mention any
// word that could make it ours (a mirror name, `mooncake`, `lakegate`)? Most OLTP statements fail it
// in well under a microsecond and go upstream as untouched bytes.

// Case folding of a byte read as latin1 (one char per byte): ASCII letters and À–Þ fold, like
// String.toLowerCase on the latin1 reading of raw UTF-8, so no text is decoded or allocated.
const FOLD = new Uint8Array(256);
for (let b = 0; b < 256; b++) FOLD[b] = String.fromCharCode(b).toLowerCase().charCodeAt(0);

export class Precheck {
  /** Folded needles by their first byte. */
  private byFirst: (Uint8Array[] | undefined)[] = [];
  private empty = true;

  constructor(words: Iterable<string> = []) {
    this.set(words);
  }

  /** Replace the word list (lower-case matching; mirror names are added and removed at runtime). */
  set(words: Iterable<string>): void {
    const uniq = new Set<string>();
    for (const w of words) if (w) uniq.add(Buffer.from(w, 'utf8').toString('latin1').toLowerCase());
    // a word that contains another is redundant: the shorter one already fires
    const needles = [...uniq].filter((w) => ![...uniq].some((o) => o !== w && w.includes(o)));
    const byFirst: (Uint8Array[] | undefined)[] = new Array(256).fill(undefined);
    for (const n of needles) (byFirst[n.charCodeAt(0)] ??= []).push(Buffer.from(n, 'latin1'));
    this.byFirst = byFirst;
    this.empty = needles.length === 0;
  }

  test(buf: Buffer, start: number, end: number): boolean {
    if (this.empty) return false;
    const byFirst = this.byFirst;
    for (let i = start; i < end; i++) {
      const list = byFirst[FOLD[buf[i]!]!];
      if (list === undefined) continue;
      for (const n of list) {
        if (i + n.length > end) continue;
        let k = 1;
        while (k < n.length && FOLD[buf[i + k]!] === n[k]) k++;
        if (k === n.length) return true;
      }
    }
    return false;
  }
}
