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
