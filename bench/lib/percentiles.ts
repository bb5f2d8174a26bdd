// Summaries the analytics and freshness benchmarks report: geometric mean of ratios, nearest-rank percentiles.

/** exp(mean(ln x)) over the positive finite values; NaN when there are none */
export function geomean(xs: number[]): number {
  const ok = xs.filter((x) => Number.isFinite(x) && x > 0);
  if (ok.length === 0) return NaN;
  return Math.exp(ok.reduce((s, x) => s + Math.log(x), 0) / ok.length);
}

/** nearest-rank percentile (p in 0..100): the smallest value with at least p% of the values at or below it */
export function percentile(xs: number[], p: number): number {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  const rank = Math.max(1, Math.ceil((p / 100) * s.length));
  return s[Math.min(rank, s.length) - 1]!;
}
