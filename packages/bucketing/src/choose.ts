import { hashV2 } from './hash.js'
import { clampCoverage, weightsUsable, type BucketRange } from './ranges.js'

/** Index of the first range with start <= n < end, or -1, e.g. `chooseVariation(0.5, [[0, 0.5], [0.5, 1]]) === 1`. */
export function chooseVariation(n: number, ranges: readonly BucketRange[]): number {
  for (let i = 0; i < ranges.length; i++) {
    const range = ranges[i] as BucketRange
    if (n >= range[0] && n < range[1]) return i
  }
  return -1
}

/** The seed GrowthBook hashes with: the experiment's seed, or its id when the seed is unset or empty, e.g. `experimentSeed('exp-1', '') === 'exp-1'`. */
export function experimentSeed(experimentId: string, seed?: string | null): string {
  return seed || experimentId
}

/**
 * Variant index for a user from precomputed ranges (hash v2), or -1 when the
 * hash falls outside every range or the user id is empty (GrowthBook does not
 * bucket an empty hash attribute), e.g. `variantIndexFor('exp-1', 'user-1', bucketRangesFromSplits([50, 50]))`.
 */
export function variantIndexFor(seed: string, userId: string, ranges: readonly BucketRange[]): number {
  if (userId === '') return -1
  return chooseVariation(hashV2(seed, userId), ranges)
}

/** Inputs of {@link assignVariant}: `weights` are fractions in variant order (split / 100). */
export interface AssignInput {
  readonly seed: string
  readonly userId: string
  readonly weights: readonly number[]
  /** Defaults to 1; clamped into [0, 1] like GrowthBook. */
  readonly coverage?: number
}

/**
 * Same answer as `variantIndexFor(seed, userId, getBucketRanges(weights.length, coverage, weights))`
 * but allocation-free, e.g. `assignVariant({ seed: 'exp-1', userId: 'user-1', weights: [0.5, 0.5] })`.
 */
export function assignVariant(input: AssignInput): number {
  const { seed, userId, weights } = input
  if (userId === '') return -1
  const count = weights.length
  const cov = clampCoverage(input.coverage ?? 1)
  const useGiven = weightsUsable(count, weights)
  const equal = 1 / count
  const n = hashV2(seed, userId)
  let cumulative = 0
  for (let i = 0; i < count; i++) {
    const w = useGiven ? (weights[i] as number) : equal
    const start = cumulative
    cumulative += w
    if (n >= start && n < start + cov * w) return i
  }
  return -1
}
