/** Half-open interval [start, end) of hash values that map to one variant. */
export type BucketRange = readonly [start: number, end: number]

/** `n` equal weights of 1/n (empty when n <= 0), e.g. `getEqualWeights(4)` → `[0.25, 0.25, 0.25, 0.25]`. */
export function getEqualWeights(n: number): number[] {
  if (n <= 0) return []
  return new Array<number>(n).fill(1 / n)
}

/** Clamps coverage into [0, 1], undefined meaning 1 (NaN passes through, as in the JS SDK), e.g. `clampCoverage(1.5) === 1`. */
export function clampCoverage(coverage: number | undefined): number {
  if (coverage === undefined) return 1
  if (coverage < 0) return 0
  if (coverage > 1) return 1
  return coverage
}

/** Whether GrowthBook would use `weights` as given (right length, sum within [0.99, 1.01]), e.g. `weightsUsable(2, [0.4, 0.1]) === false`. */
export function weightsUsable(numVariations: number, weights: readonly number[]): boolean {
  if (weights.length !== numVariations) return false
  let total = 0
  for (let i = 0; i < weights.length; i++) total += weights[i] as number
  // Written as a negation so that a NaN total passes, exactly like the SDK's check.
  return !(total < 0.99 || total > 1.01)
}

/** One range per variant with GrowthBook's semantics (start = sum of earlier weights, width = coverage × weight), e.g. `getBucketRanges(2, 0.5)` → `[[0, 0.25], [0.5, 0.75]]`. */
export function getBucketRanges(numVariations: number, coverage?: number, weights?: readonly number[] | null): BucketRange[] {
  const cov = clampCoverage(coverage)
  const used = weights && weightsUsable(numVariations, weights) ? weights : getEqualWeights(numVariations)
  const ranges: BucketRange[] = new Array(used.length)
  let cumulative = 0
  for (let i = 0; i < used.length; i++) {
    const w = used[i] as number
    const start = cumulative
    cumulative += w
    ranges[i] = [start, start + cov * w]
  }
  return ranges
}

/** Ranges for the platform's splits (percentages in variant order, coverage 1), e.g. `bucketRangesFromSplits([90, 10])` → `[[0, 0.9], [0.9, 1]]`. */
export function bucketRangesFromSplits(splitPercentages: readonly number[]): BucketRange[] {
  return getBucketRanges(
    splitPercentages.length,
    1,
    splitPercentages.map((p) => p / 100),
  )
}
