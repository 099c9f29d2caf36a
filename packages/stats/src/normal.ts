import normalCdf from '@stdlib/stats-base-dists-normal-cdf'
import normalQuantile from '@stdlib/stats-base-dists-normal-quantile'

/** Two-sided critical value z such that P(|Z| ≤ z) = confidenceLevel. */
export function criticalZ(confidenceLevel: number): number {
  // Taking the lower-tail quantile keeps full precision for confidence levels close to 1.
  return -normalQuantile((1 - confidenceLevel) / 2, 0, 1)
}

/** Two-sided p-value 2·Φ(−|z|) of a standard normal statistic. */
export function twoSidedNormalPValue(z: number): number {
  return Math.min(1, 2 * normalCdf(-Math.abs(z), 0, 1))
}
