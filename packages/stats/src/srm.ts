import chiSquareCdf from '@stdlib/stats-base-dists-chisquare-cdf'
import type { SrmResult } from './types.js'

/** p-value below which a sample ratio mismatch is reported. */
export const SRM_THRESHOLD = 0.001

/** Upper-tail probability P(X ≥ statistic) of a chi-square with df degrees of freedom (below ~1e-16 it reads 0). */
export function chiSquarePValue(statistic: number, degreesOfFreedom: number): number {
  return Math.max(0, 1 - chiSquareCdf(statistic, degreesOfFreedom))
}

/**
 * Pearson chi-square goodness-of-fit of observed sample sizes against the intended split
 * (normalised by its sum), k − 1 degrees of freedom. Null when nobody was assigned.
 */
export function sampleRatioMismatch(sampleSizes: readonly number[], splits: readonly number[]): SrmResult | null {
  let total = 0
  let splitTotal = 0
  for (let i = 0; i < sampleSizes.length; i++) {
    total += sampleSizes[i]!
    splitTotal += splits[i]!
  }
  if (total === 0) return null
  let chiSquare = 0
  let cells = 0
  for (let i = 0; i < sampleSizes.length; i++) {
    const observed = sampleSizes[i]!
    const split = splits[i]!
    if (split === 0) {
      // Users in a variant meant to get no traffic: infinitely unlikely under the intended split.
      if (observed > 0) return { chiSquare: null, pValue: 0, detected: true }
      continue
    }
    const expected = (total * split) / splitTotal
    chiSquare += ((observed - expected) * (observed - expected)) / expected
    cells += 1
  }
  if (cells < 2) return { chiSquare: 0, pValue: 1, detected: false }
  const pValue = chiSquarePValue(chiSquare, cells - 1)
  return { chiSquare, pValue, detected: pValue < SRM_THRESHOLD }
}
