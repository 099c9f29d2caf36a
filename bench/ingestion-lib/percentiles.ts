/** Nearest-rank percentile (p in 0..1) of `values`; NaN when empty. */
export const percentile = (values: number[], p: number) => {
  if (values.length === 0) return NaN
  const sorted = [...values].sort((a, b) => a - b)
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(p * sorted.length) - 1))]!
}

export const summary = (values: number[]) => ({ p50: percentile(values, 0.5), p99: percentile(values, 0.99), n: values.length })
