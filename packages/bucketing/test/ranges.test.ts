import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { bucketRangesFromSplits, chooseVariation, getBucketRanges, getEqualWeights, weightsUsable, type BucketRange } from '../src/index.js'
import growthbook from './growthbook-cases.json' with { type: 'json' }

type RangeCase = [string, [number, number, number[] | null], [number, number][]]

function expectRangesClose(actual: readonly BucketRange[], expected: readonly (readonly number[])[]): void {
  expect(actual).toHaveLength(expected.length)
  actual.forEach((range, i) => {
    const want = expected[i] as readonly number[]
    // GrowthBook's own suite compares after truncating to 8 decimals; 1e-9 is at least as strict.
    expect(range[0]).toBeCloseTo(want[0] as number, 9)
    expect(range[1]).toBeCloseTo(want[1] as number, 9)
  })
}

describe('getBucketRanges: GrowthBook published cases', () => {
  it.each(growthbook.getBucketRange as RangeCase[])('%s', (_name, [numVariations, coverage, weights], expected) => {
    expectRangesClose(getBucketRanges(numVariations, coverage, weights), expected)
  })
})

describe('getEqualWeights: GrowthBook published cases', () => {
  it.each(growthbook.getEqualWeights as [number, number[]][])('getEqualWeights(%d)', (n, expected) => {
    const actual = getEqualWeights(n)
    expect(actual).toHaveLength(expected.length)
    actual.forEach((w, i) => expect(w).toBeCloseTo(expected[i] as number, 8))
  })
})

describe('getBucketRanges', () => {
  it('defaults coverage to 1 and weights to equal', () => {
    expect(getBucketRanges(4)).toEqual([
      [0, 0.25],
      [0.25, 0.5],
      [0.5, 0.75],
      [0.75, 1],
    ])
    expect(getBucketRanges(2, undefined, null)).toEqual([
      [0, 0.5],
      [0.5, 1],
    ])
  })

  it('keeps range starts fixed when coverage changes (users only move in or out)', () => {
    const narrow = getBucketRanges(3, 0.1, [0.2, 0.3, 0.5])
    const wide = getBucketRanges(3, 1, [0.2, 0.3, 0.5])
    expect(narrow.map((r) => r[0])).toEqual(wide.map((r) => r[0]))
  })

  it('accepts weight sums within [0.99, 1.01] as given and falls back outside', () => {
    expect(weightsUsable(2, [0.495, 0.495])).toBe(true)
    expect(weightsUsable(2, [0.505, 0.505])).toBe(true)
    expect(weightsUsable(2, [0.4, 0.5])).toBe(false)
    expect(weightsUsable(2, [0.6, 0.5])).toBe(false)
    expect(weightsUsable(3, [0.5, 0.5])).toBe(false)
    expect(getBucketRanges(2, 1, [0.495, 0.495])).toEqual([
      [0, 0.495],
      [0.495, 0.99],
    ])
  })

  it('reproduces the SDK quirks for NaN (not validated away)', () => {
    // NaN coverage is neither < 0 nor > 1, so it survives clamping and makes every range empty.
    const nanCoverage = getBucketRanges(2, Number.NaN)
    expect(chooseVariation(0.25, nanCoverage)).toBe(-1)
    // A NaN weight makes the sum NaN, which passes the [0.99, 1.01] check.
    expect(weightsUsable(2, [Number.NaN, 0.5])).toBe(true)
  })

  it('returns no ranges for zero or negative variation counts', () => {
    expect(getBucketRanges(0)).toEqual([])
    expect(getBucketRanges(-3, 1, [])).toEqual([])
  })
})

/** Splits in hundredths of a percent, each >= 0, summing to exactly 100.00 %. */
const twoDecimalSplits = fc.array(fc.integer({ min: 0, max: 10000 }), { minLength: 1, maxLength: 9 }).map((parts) => {
  // Turn arbitrary integers into cut points of 0..10000, then into part sizes.
  const cuts = parts.map((p) => p % 10001).sort((a, b) => a - b)
  cuts[cuts.length - 1] = 10000
  return cuts.map((c, i) => (c - (i === 0 ? 0 : (cuts[i - 1] as number))) / 100)
})

describe('bucketRangesFromSplits', () => {
  it('divides splits by 100 with coverage 1', () => {
    expect(bucketRangesFromSplits([90, 10])).toEqual([
      [0, 0.9],
      [0.9, 1],
    ])
    expect(bucketRangesFromSplits([33.33, 33.33, 33.34])).toEqual(getBucketRanges(3, 1, [0.3333, 0.3333, 0.3334]))
  })

  it('covers every possible v2 hash value when two-decimal splits sum to 100', () => {
    fc.assert(
      fc.property(twoDecimalSplits, (splits) => {
        const ranges = bucketRangesFromSplits(splits)
        for (let k = 0; k < 10000; k++) {
          if (chooseVariation(k / 10000, ranges) === -1) return false
        }
        // The last end may differ from 1 by float error, but never reaches down to 0.9999.
        return Math.abs((ranges[ranges.length - 1] as BucketRange)[1] - 1) < 1e-12
      }),
      { numRuns: 300 },
    )
  })

  it('puts every hash value at most one bucket away from exact decimal arithmetic', () => {
    fc.assert(
      fc.property(twoDecimalSplits, (splits) => {
        const ranges = bucketRangesFromSplits(splits)
        const cumulative = splits.map((_, i) => splits.slice(0, i + 1).reduce((a, s) => a + Math.round(s * 100), 0))
        for (let k = 0; k < 10000; k++) {
          const exact = cumulative.findIndex((c) => k < c)
          const got = chooseVariation(k / 10000, ranges)
          // A difference is only allowed on a boundary bucket, where float sums such as
          // 0.1 + 0.2 land a hair above the exact value; nobody ever falls outside.
          if (got === -1 || (got !== exact && !(cumulative.includes(k) && got < exact))) return false
        }
        return true
      }),
      { numRuns: 200 },
    )
  })

  it('shows the float boundary effect GrowthBook also has', () => {
    const ranges = bucketRangesFromSplits([10, 20, 30, 40])
    // 0.1 + 0.2 is 0.30000000000000004, so the hash value 0.3 still falls in variant 1.
    expect(ranges[1]?.[1]).toBe(0.30000000000000004)
    expect(chooseVariation(0.3, ranges)).toBe(1)
  })

  it('leaves a gap when splits sum to 99..101 but not 100 (as GrowthBook does)', () => {
    const ranges = bucketRangesFromSplits([33, 33, 33.5])
    expect(chooseVariation(0.9949, ranges)).toBe(2)
    // The last end is 0.9950000000000001, so the hash value 0.995 itself is still inside.
    expect(chooseVariation(0.995, ranges)).toBe(2)
    expect(chooseVariation(0.9951, ranges)).toBe(-1)
    expect(chooseVariation(0.9999, ranges)).toBe(-1)
  })

  it('falls back to equal weights when splits are far from 100', () => {
    expect(bucketRangesFromSplits([60, 60])).toEqual(getBucketRanges(2))
    expect(bucketRangesFromSplits([50, 25])).toEqual(getBucketRanges(2))
  })

  it('gives a zero split an empty range', () => {
    const ranges = bucketRangesFromSplits([0, 100])
    expect(ranges[0]).toEqual([0, 0])
    expect(chooseVariation(0, ranges)).toBe(1)
  })
})
