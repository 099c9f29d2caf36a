/** Conversion rate x / n, or 0 for an empty arm. */
export function conversionRate(conversions: number, sampleSize: number): number {
  return sampleSize === 0 ? 0 : conversions / sampleSize
}

/**
 * Exact-numerator difference x_t/n_t − x_c/n_c = (x_t·n_c − x_c·n_t) / (n_t·n_c), avoiding the
 * cancellation of subtracting two rounded rates; falls back to plain subtraction beyond 2^53.
 */
export function rateDifference(xt: number, nt: number, xc: number, nc: number): number {
  const a = xt * nc
  const b = xc * nt
  if (nt > 0 && nc > 0 && Number.isSafeInteger(a) && Number.isSafeInteger(b)) return (a - b) / (nt * nc)
  return conversionRate(xt, nt) - conversionRate(xc, nc)
}
