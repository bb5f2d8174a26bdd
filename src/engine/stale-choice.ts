/** The error a fused reader-view check raises in DuckDB when the view guessed for a mirror is not the current one. */
export const STALE_CHOICE = 'lakegate: stale reader view choice';
