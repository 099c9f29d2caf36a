import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import {
  assignVariant,
  bucketRangesFromSplits,
  chooseVariation,
  experimentSeed,
  getBucketRanges,
  hash,
  variantIndexFor,
  type BucketRange,
} from '../src/index.js'
import growthbook from './growthbook-cases.json' with { type: 'json' }

interface ExperimentCase {
  name: string
  seed: string
  userId: string
  hashVersion: number
  numVariations: number
  weights?: number[]
  coverage?: number
  ranges?: [number, number][]
  bucket?: number
  expected: number
}

describe('chooseVariation: GrowthBook published cases', () => {
  it.each(growthbook.chooseVariation as [string, number, [number, number][], number][])('%s', (_name, n, ranges, expected) => {
    expect(chooseVariation(n, ranges)).toBe(expected)
  })
})

describe('GrowthBook experiment cases (hash + ranges + choose)', () => {
  it.each(growthbook.experiments as ExperimentCase[])('$name', (c) => {
    const n = hash(c.seed, c.userId, c.hashVersion)
    expect(n).not.toBeNull()
    if (c.bucket !== undefined) expect(n).toBe(c.bucket)
    const ranges = c.ranges ?? getBucketRanges(c.numVariations, c.coverage, c.weights)
    expect(chooseVariation(n as number, ranges)).toBe(c.expected)
    if (c.hashVersion === 2) {
      expect(variantIndexFor(c.seed, c.userId, ranges)).toBe(c.expected)
      if (!c.ranges) {
        const weights = c.weights ?? getBucketRanges(c.numVariations).map((r) => r[1] - r[0])
        expect(assignVariant({ seed: c.seed, userId: c.userId, weights, coverage: c.coverage })).toBe(c.expected)
      }
    }
  })
})

describe('chooseVariation', () => {
  it('treats ranges as half-open and returns the first match', () => {
    const ranges: BucketRange[] = [
      [0, 0.5],
      [0.4, 1],
    ]
    expect(chooseVariation(0.45, ranges)).toBe(0)
    expect(chooseVariation(0.5, ranges)).toBe(1)
    expect(chooseVariation(1, ranges)).toBe(-1)
    expect(chooseVariation(0.5, [])).toBe(-1)
  })
})

describe('experimentSeed', () => {
  it('uses the seed when set, the experiment id otherwise', () => {
    expect(experimentSeed('exp-1', 'custom')).toBe('custom')
    expect(experimentSeed('exp-1')).toBe('exp-1')
    expect(experimentSeed('exp-1', null)).toBe('exp-1')
    expect(experimentSeed('exp-1', '')).toBe('exp-1')
  })
})

describe('variantIndexFor / assignVariant', () => {
  it('hash with version 2, seed first', () => {
    const ranges = bucketRangesFromSplits([50, 50])
    const n = hash('exp-1', 'user-1', 2) as number
    expect(variantIndexFor('exp-1', 'user-1', ranges)).toBe(n < 0.5 ? 0 : 1)
  })

  it('return -1 for an empty user id, like GrowthBook skipping an empty hash attribute', () => {
    expect(variantIndexFor('exp-1', '', bucketRangesFromSplits([50, 50]))).toBe(-1)
    expect(assignVariant({ seed: 'exp-1', userId: '', weights: [0.5, 0.5] })).toBe(-1)
  })

  it('assignVariant returns -1 with no variants', () => {
    expect(assignVariant({ seed: 'exp-1', userId: 'u', weights: [] })).toBe(-1)
  })

  const weightsArb = fc.oneof(
    // Valid-looking weights from two-decimal splits.
    fc.array(fc.integer({ min: 0, max: 10000 }), { minLength: 1, maxLength: 6 }).map((xs) => {
      const total = xs.reduce((a, b) => a + b, 0) || 1
      return xs.map((x) => Math.round((x / total) * 10000) / 10000)
    }),
    // Anything, including sums far from 1 (equal-weight fallback) and NaN.
    fc.array(fc.double({ min: -1, max: 2 }), { minLength: 0, maxLength: 6 }),
  )

  it('assignVariant equals variantIndexFor over getBucketRanges for any input', () => {
    fc.assert(
      fc.property(
        fc.string({ unit: 'binary', maxLength: 20 }),
        fc.string({ unit: 'binary', minLength: 1, maxLength: 40 }),
        weightsArb,
        fc.option(fc.double({ min: -0.5, max: 1.5 }), { nil: undefined }),
        (seed, userId, weights, coverage) => {
          const ranges = getBucketRanges(weights.length, coverage, weights)
          return assignVariant({ seed, userId, weights, coverage }) === variantIndexFor(seed, userId, ranges)
        },
      ),
      { numRuns: 2000 },
    )
  })
})
