// The byte-level test every Query/Parse passes before anything is parsed: does the SQL mention any
// word that could make it ours (a mirror name, `mooncake`, `lakegate`)? Most OLTP statements fail it
// in well under a microsecond and go upstream as untouched bytes.

export class Precheck {
  private needles: string[] = [];

  constructor(words: Iterable<string> = []) {
    this.set(words);
  }

  /** Replace the word list (lower-case matching; mirror names are added and removed at runtime). */
  set(words: Iterable<string>): void {
    const uniq = new Set<string>();
    for (const w of words) if (w) uniq.add(Buffer.from(w, 'utf8').toString('latin1').toLowerCase());
    // a word that contains another is redundant: the shorter one already fires
    this.needles = [...uniq].filter((w) => ![...uniq].some((o) => o !== w && w.includes(o)));
  }

  test(buf: Buffer, start: number, end: number): boolean {
    if (this.needles.length === 0) return false;
    // latin1 keeps one char per byte, so ASCII case folding works on raw UTF-8 without decoding it
    const s = buf.toString('latin1', start, end).toLowerCase();
    for (const n of this.needles) if (s.includes(n)) return true;
    return false;
  }
}
