// A source value the mirror's Iceberg type cannot hold exactly (numeric NaN in a numeric(p,s) column: Iceberg
// decimals have no NaN). Storing anything else would answer differently from Postgres, so the mirror fails
// with this reason instead; the source and the other mirrors are untouched.
export class UnrepresentableValueError extends Error {
  /** set by the apply path: the mirror whose change carried the value */
  mirrorId: number | null = null;

  constructor(message: string) {
    super(message);
    this.name = 'UnrepresentableValueError';
  }
}

/** numeric's special values; numeric(p,s) admits NaN (Infinity overflows it), an Iceberg decimal neither */
export function isDecimalSpecial(v: unknown): boolean {
  return v === 'NaN' || v === 'Infinity' || v === '-Infinity';
}

export function unrepresentableDecimal(column: string | undefined, v: string, t: { precision?: number; scale?: number }): UnrepresentableValueError {
  const type = t.precision !== undefined ? `decimal(${t.precision}, ${t.scale ?? 0})` : 'decimal';
  return new UnrepresentableValueError(
    `column ${column ? `"${column}"` : '?'} holds numeric ${v}, which the mirror's Iceberg ${type} cannot store ` +
      `(Iceberg decimals have no ${v}); the mirror cannot answer as Postgres would`,
  );
}

/** Postgres' timestamps run to 294276 AD, DuckDB's (and so a mirror's) end on 294247-01-10 */
export function unrepresentableTimestamp(): UnrepresentableValueError {
  return new UnrepresentableValueError(
    "a timestamp after 294247-01-10 cannot be stored in a mirror (DuckDB's timestamps end there); the mirror cannot answer as Postgres would",
  );
}
