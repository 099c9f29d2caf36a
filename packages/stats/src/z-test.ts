import { twoSidedNormalPValue } from './normal.js'
import { rateDifference } from './proportions.js'

/** Pooled two-proportion z statistic (p_t − p_c)/√(p̂(1−p̂)(1/n_t + 1/n_c)); null when undefined. */
export function pooledZStatistic(xt: number, nt: number, xc: number, nc: number): number | null {
  const successes = xt + xc
  const trials = nt + nc
  if (nt === 0 || nc === 0 || successes === 0 || successes === trials) return null
  const pooled = successes / trials
  const standardError = Math.sqrt(pooled * (1 - pooled) * (1 / nt + 1 / nc))
  return rateDifference(xt, nt, xc, nc) / standardError
}

/** Two-sided p-value of the pooled two-proportion z-test; 1 when the pooled rate is 0 or 1 or an arm is empty. */
export function pooledZTestPValue(xt: number, nt: number, xc: number, nc: number): number {
  const z = pooledZStatistic(xt, nt, xc, nc)
  return z === null ? 1 : twoSidedNormalPValue(z)
}
