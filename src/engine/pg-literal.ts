// SQL text lakegate sends to Postgres on the client's connection embeds values as literals where a parameter
// will not do (DO blocks take none; a literal is converted while Postgres parses, so bad input fails early).

/** A Postgres string literal that reads the same whatever standard_conforming_strings is. */
export function pgLiteral(s: string): string {
  return `E'${s.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
}

/** A text[] value in Postgres' array input syntax (for a parameter): every element quoted. */
export function pgTextArray(items: readonly string[]): string {
  return `{${items.map((x) => `"${x.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`).join(',')}}`;
}
