import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import {
  analyzeExperiment,
  criticalZ,
  holmAdjust,
  newcombeInterval,
  pooledZTestPValue,
  probabilityToBeatControl,
  relativeLift,
  relativeLiftInterval,
  wilsonInterval,
} from '../src/index.js'
import { rateDifference } from '../src/proportions.js'

/** An arm: sampleSize n and conversions x ≤ n, biased towards small and boundary values. */
const arm = fc
  .oneof(fc.integer({ min: 0, max: 50 }), fc.integer({ min: 0, max: 100_000 }), fc.integer({ min: 0, max: 10_000_000 }))
  .chain((n) => fc.oneof(fc.constant(0), fc.constant(n), fc.integer({ min: 0, max: n }), fc.integer({ min: 0, max: Math.min(n, 50) })).map((x) => ({ n, x })))
const confidence = fc.double({ min: 0.8, max: 0.999, noNaN: true })

function interval(x: number, n: number, z: number): [number, number] {
  return wilsonInterval(x, n, z)
}

describe('interval properties', () => {
  it('Wilson interval contains the rate and stays in [0, 1]', () => {
    fc.assert(
      fc.property(arm, confidence, ({ n, x }, level) => {
        const [low, high] = interval(x, n, criticalZ(level))
        const rate = n === 0 ? 0 : x / n
        expect(0 <= low && low <= rate && rate <= high && high <= 1).toBe(true)
      }),
      { numRuns: 500 },
    )
  })

  it('Newcombe interval contains the absolute lift and stays in [−1, 1]', () => {
    fc.assert(
      fc.property(arm, arm, confidence, (t, c, level) => {
        const z = criticalZ(level)
        const pt = t.n === 0 ? 0 : t.x / t.n
        const pc = c.n === 0 ? 0 : c.x / c.n
        const d = rateDifference(t.x, t.n, c.x, c.n)
        const [low, high] = newcombeInterval(pt, interval(t.x, t.n, z), pc, interval(c.x, c.n, z), d)
        expect(-1 <= low && low <= d && d <= high && high <= 1).toBe(true)
      }),
      { numRuns: 500 },
    )
  })

  it('relative-lift interval contains the lift and never goes below −100%', () => {
    fc.assert(
      fc.property(arm, arm, confidence, (t, c, level) => {
        const lift = relativeLift(t.x, t.n, c.x, c.n)
        const range = relativeLiftInterval(t.x, t.n, c.x, c.n, criticalZ(level))
        if (lift === null) {
          expect(range).toBeNull()
        } else if (range === null) {
          expect(t.n).toBe(0)
        } else {
          expect(-1 <= range[0] && range[0] <= lift && lift <= range[1] && Number.isFinite(range[1])).toBe(true)
        }
      }),
      { numRuns: 500 },
    )
  })

  it('a higher confidence level never narrows an interval', () => {
    fc.assert(
      fc.property(arm, confidence, confidence, ({ n, x }, a, b) => {
        const [lo, hi] = a < b ? [a, b] : [b, a]
        const narrow = interval(x, n, criticalZ(lo))
        const wide = interval(x, n, criticalZ(hi))
        // Levels an ulp apart can give critical values that differ by rounding only.
        expect(wide[0] <= narrow[0] + 1e-12 && narrow[1] <= wide[1] + 1e-12).toBe(true)
      }),
    )
  })
})

describe('symmetry properties', () => {
  it('swapping the arms mirrors the absolute lift, its interval and leaves the p-value unchanged', () => {
    fc.assert(
      fc.property(arm, arm, confidence, (t, c, level) => {
        const z = criticalZ(level)
        const rate = (a: { x: number; n: number }): number => (a.n === 0 ? 0 : a.x / a.n)
        const forward = newcombeInterval(rate(t), interval(t.x, t.n, z), rate(c), interval(c.x, c.n, z), rateDifference(t.x, t.n, c.x, c.n))
        const backward = newcombeInterval(rate(c), interval(c.x, c.n, z), rate(t), interval(t.x, t.n, z), rateDifference(c.x, c.n, t.x, t.n))
        // `+ 0` folds −0 into 0 (Object.is tells them apart, arithmetic does not).
        expect(rateDifference(c.x, c.n, t.x, t.n) + 0).toBe(-rateDifference(t.x, t.n, c.x, c.n) + 0)
        expect(backward[0] + 0).toBe(-forward[1] + 0)
        expect(backward[1] + 0).toBe(-forward[0] + 0)
        expect(pooledZTestPValue(c.x, c.n, t.x, t.n)).toBe(pooledZTestPValue(t.x, t.n, c.x, c.n))
      }),
      { numRuns: 500 },
    )
  })

  it('P(treatment beats control) + P(control beats treatment) = 1', () => {
    fc.assert(
      fc.property(arm, arm, (t, c) => {
        const sum = probabilityToBeatControl(t.x, t.n, c.x, c.n) + probabilityToBeatControl(c.x, c.n, t.x, t.n)
        expect(Math.abs(sum - 1)).toBeLessThan(1e-9)
      }),
      { numRuns: 300 },
    )
  })

  it('identical arms have probability to beat control exactly 0.5', () => {
    fc.assert(
      fc.property(arm, ({ n, x }) => {
        expect(probabilityToBeatControl(x, n, x, n)).toBe(0.5)
      }),
    )
  })

  it('one more conversion never lowers the probability to beat control', () => {
    fc.assert(
      fc.property(arm, arm, (t, c) => {
        fc.pre(t.x < t.n)
        const before = probabilityToBeatControl(t.x, t.n, c.x, c.n)
        const after = probabilityToBeatControl(t.x + 1, t.n, c.x, c.n)
        expect(after).toBeGreaterThanOrEqual(before - 1e-12)
      }),
      { numRuns: 300 },
    )
  })
})

describe('Holm adjustment properties', () => {
  const pValues = fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { minLength: 1, maxLength: 30 })

  it('never lowers a p-value and caps at 1', () => {
    fc.assert(
      fc.property(pValues, (ps) => {
        holmAdjust(ps).forEach((adjusted, i) => {
          expect(adjusted).toBeGreaterThanOrEqual(ps[i]!)
          expect(adjusted).toBeLessThanOrEqual(1)
        })
      }),
    )
  })

  it('preserves the order of the raw p-values (monotone)', () => {
    fc.assert(
      fc.property(pValues, (ps) => {
        const adjusted = holmAdjust(ps)
        for (let i = 0; i < ps.length; i++) {
          for (let j = 0; j < ps.length; j++) {
            if (ps[i]! <= ps[j]!) expect(adjusted[i]).toBeLessThanOrEqual(adjusted[j]!)
          }
        }
      }),
    )
  })

  it('matches the textbook step-down on a worked example', () => {
    // Sorted p = 0.01, 0.02, 0.03, 0.04 with m = 4: 4·0.01, 3·0.02, 2·0.03, 1·0.04, then running maximum.
    const adjusted = holmAdjust([0.03, 0.01, 0.04, 0.02])
    expect(adjusted[1]).toBeCloseTo(0.04, 15)
    expect(adjusted[3]).toBeCloseTo(0.06, 15)
    expect(adjusted[0]).toBeCloseTo(0.06, 15)
    expect(adjusted[2]).toBeCloseTo(0.06, 15)
  })
})

describe('whole-analysis properties', () => {
  const experiment = fc
    .record({
      arms: fc.array(arm, { minLength: 2, maxLength: 8 }),
      level: confidence,
      controlOffset: fc.nat(),
    })
    .map(({ arms, level, controlOffset }) => ({
      confidenceLevel: level,
      controlVariantId: `v${controlOffset % arms.length}`,
      variants: arms.map((a, i) => ({ variantId: `v${i}`, variantName: `Variant ${i}`, sampleSize: a.n, conversions: a.x, splitPercentage: 1 })),
    }))

  it('output is finite, JSON-round-trippable and deterministic', () => {
    fc.assert(
      fc.property(experiment, (input) => {
        const result = analyzeExperiment(input)
        const json = JSON.stringify(result)
        expect(JSON.parse(json)).toEqual(result)
        expect(json).not.toMatch(/NaN|Infinity/)
        expect(JSON.stringify(analyzeExperiment(input))).toBe(json)
      }),
      { numRuns: 200 },
    )
  })

  it('adjusted p-values are Holm over the treatments and significance follows them', () => {
    fc.assert(
      fc.property(experiment, (input) => {
        const result = analyzeExperiment(input)
        const treatments = result.variants.filter((v) => !v.isControl)
        const expected = holmAdjust(treatments.map((v) => v.pValue!))
        treatments.forEach((v, i) => {
          expect(v.adjustedPValue).toBe(expected[i])
          expect(v.significant).toBe(v.adjustedPValue! < 1 - input.confidenceLevel)
        })
        const control = result.variants.find((v) => v.isControl)!
        expect(control.variantId).toBe(input.controlVariantId)
        expect(result.controlVariantId).toBe(input.controlVariantId)
      }),
      { numRuns: 100 },
    )
  })
})
