// SQL text lakegate sends to Postgres on the client's connection embeds values as literals where a parameter
// will not do (DO blocks take none; a literal is converted while Postgres parses, so bad input fails early).

/** A Postgres string literal that reads the same whatever standard_conforming_strings is. */
export function pgLiteral(s: string): string {
  return `E'${s.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
}
