import type { Interval } from './types.js'

/** Wilson (1927) score interval for a binomial proportion; [0, 1] when there are no trials. */
export function wilsonInterval(successes: number, trials: number, z: number): Interval {
  if (trials === 0) return [0, 1]
  const z2 = z * z
  const centre = successes + z2 / 2
  const spread = z * Math.sqrt((successes * (trials - successes)) / trials + z2 / 4)
  const denominator = trials + z2
  // At x = 0 and x = n one bound is exactly 0 or 1; set it so rounding cannot exclude the estimate.
  const low = successes === 0 ? 0 : Math.max(0, (centre - spread) / denominator)
  const high = successes === trials ? 1 : Math.min(1, (centre + spread) / denominator)
  return [low, high]
}
