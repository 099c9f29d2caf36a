import { describe, expect, it } from 'vitest'
import { analyzeExperiment, holmAdjust, STATS_ENGINE_VERSION, STATS_METHOD, type AnalyzeInput, type VariantAnalysis } from '../src/index.js'

function variant(variantId: string, sampleSize: number, conversions: number, splitPercentage = 50) {
  return { variantId, variantName: variantId.toUpperCase(), sampleSize, conversions, splitPercentage }
}

function analyze(input: AnalyzeInput): { byId: Record<string, VariantAnalysis>; result: ReturnType<typeof analyzeExperiment> } {
  const result = analyzeExperiment(input)
  return { byId: Object.fromEntries(result.variants.map((v) => [v.variantId, v])), result }
}

describe('edge cases', () => {
  it('sampleSize 0: rate 0, interval [0, 1], p-value 1, no relative interval', () => {
    const { byId, result } = analyze({ variants: [variant('c', 100, 10), variant('t', 0, 0)] })
    const t = byId.t!
    expect(t.conversionRate).toBe(0)
    expect(t.conversionRateInterval).toEqual([0, 1])
    expect(t.pValue).toBe(1)
    expect(t.adjustedPValue).toBe(1)
    expect(t.significant).toBe(false)
    expect(t.relativeLift).toBe(-1)
    expect(t.relativeLiftInterval).toBeNull()
    expect(t.absoluteLift).toBeCloseTo(-0.1, 15)
    // Beta(1,1) prior alone against Beta(11, 91): P(U > θ_c) = 1 − E[θ_c] = 1 − 11/102.
    expect(t.probabilityToBeatControl).toBeCloseTo(1 - 11 / 102, 14)
    expect(result.srm!.detected).toBe(true)
  })

  it('empty control: lifts relative to a zero rate are null', () => {
    const { byId } = analyze({ variants: [variant('c', 0, 0), variant('t', 50, 5)] })
    expect(byId.t!.relativeLift).toBeNull()
    expect(byId.t!.relativeLiftInterval).toBeNull()
    expect(byId.t!.pValue).toBe(1)
    expect(byId.t!.absoluteLift).toBeCloseTo(0.1, 15)
  })

  it('zero conversions everywhere: pooled rate 0 gives p-value 1 and equal arms give 0.5', () => {
    const { byId } = analyze({ variants: [variant('c', 500, 0), variant('t', 500, 0)] })
    const t = byId.t!
    expect(t.conversionRateInterval[0]).toBe(0)
    expect(t.pValue).toBe(1)
    expect(t.relativeLift).toBeNull()
    expect(t.absoluteLift).toBe(0)
    expect(t.probabilityToBeatControl).toBe(0.5)
  })

  it('everyone converting: pooled rate 1 gives p-value 1 and upper bounds are exactly 1', () => {
    const { byId } = analyze({ variants: [variant('c', 300, 300), variant('t', 200, 200)] })
    const t = byId.t!
    expect(t.conversionRate).toBe(1)
    expect(t.conversionRateInterval[1]).toBe(1)
    expect(t.pValue).toBe(1)
    expect(t.relativeLift).toBe(0)
    // Equal rates but less evidence: the smaller arm is less surely at 1, so below one half.
    expect(t.probabilityToBeatControl).toBeLessThan(0.5)
  })

  it('n = 1 arms', () => {
    const { byId } = analyze({ variants: [variant('c', 1, 0), variant('t', 1, 1)] })
    const t = byId.t!
    expect(t.conversionRate).toBe(1)
    expect(t.absoluteLift).toBe(1)
    expect(t.relativeLift).toBeNull()
    expect(t.pValue).toBeGreaterThan(0.05)
    // Beta(2,1) against Beta(1,2): P = 5/6.
    expect(t.probabilityToBeatControl).toBeCloseTo(5 / 6, 14)
  })

  it('10^7 users per arm keeps full precision', () => {
    const { byId } = analyze({
      variants: [variant('c', 10_000_000, 1_000_000), variant('t', 10_000_000, 1_003_000)],
    })
    const t = byId.t!
    expect(t.absoluteLift).toBe(0.0003)
    expect(t.relativeLift).toBe(0.003)
    const [low, high] = t.absoluteLiftInterval!
    expect(low).toBeLessThan(0.0003)
    expect(high).toBeGreaterThan(0.0003)
    // Half-width ≈ 1.96·√(2·0.09/10^7) ≈ 2.6e-4.
    expect(high - low).toBeGreaterThan(5e-4)
    expect(high - low).toBeLessThan(5.5e-4)
    expect(t.probabilityToBeatControl).toBeGreaterThan(0.98)
    expect(t.probabilityToBeatControl).toBeLessThan(0.995)
  })

  it('five variants: Holm over the four comparisons, control first', () => {
    const { result } = analyze({
      variants: [variant('c', 5000, 500), variant('a', 5000, 560), variant('b', 5000, 505), variant('d', 5000, 600), variant('e', 5000, 430)],
    })
    const treatments = result.variants.slice(1)
    expect(treatments.map((v) => v.adjustedPValue)).toEqual(holmAdjust(treatments.map((v) => v.pValue!)))
    treatments.forEach((v) => expect(v.adjustedPValue!).toBeGreaterThanOrEqual(v.pValue!))
    expect(result.variants[0]!.isControl).toBe(true)
    expect(result.srm).toEqual({ chiSquare: 0, pValue: 1, detected: false })
  })

  it('confidence 0.90 and 0.99: wider intervals at 0.99, significance at alpha = 1 − level', () => {
    const variants = [variant('c', 2000, 200), variant('t', 2000, 240)]
    const at90 = analyze({ variants, confidenceLevel: 0.9 }).byId.t!
    const at99 = analyze({ variants, confidenceLevel: 0.99 }).byId.t!
    expect(at90.pValue).toBe(at99.pValue)
    expect(at90.pValue!).toBeGreaterThan(0.01)
    expect(at90.pValue!).toBeLessThan(0.1)
    expect(at90.significant).toBe(true)
    expect(at99.significant).toBe(false)
    expect(at99.absoluteLiftInterval![0]).toBeLessThan(at90.absoluteLiftInterval![0])
    expect(at99.absoluteLiftInterval![1]).toBeGreaterThan(at90.absoluteLiftInterval![1])
    expect(at99.conversionRateInterval[1]).toBeGreaterThan(at90.conversionRateInterval[1])
  })

  it('a control that is not the first variant', () => {
    const { result, byId } = analyze({
      controlVariantId: 'c',
      variants: [variant('t', 250, 67), variant('c', 250, 45)],
    })
    expect(result.controlVariantId).toBe('c')
    expect(result.variants.map((v) => v.variantId)).toEqual(['t', 'c'])
    expect(byId.c!.isControl).toBe(true)
    expect(byId.c!.pValue).toBeNull()
    expect(byId.c!.probabilityToBeatControl).toBeNull()
    expect(byId.t!.absoluteLift).toBeCloseTo(0.088, 15)
    expect(byId.t!.relativeLift).toBeCloseTo(0.4888888888888889, 15)
  })

  it('no participants: srm is null and every comparison is neutral', () => {
    const { result, byId } = analyze({ variants: [variant('c', 0, 0), variant('t', 0, 0)] })
    expect(result.srm).toBeNull()
    expect(byId.t!.pValue).toBe(1)
    expect(byId.t!.probabilityToBeatControl).toBe(0.5)
  })

  it('SRM: uneven intended split is respected; a 0% arm that received users is a mismatch', () => {
    const fine = analyzeExperiment({ variants: [variant('c', 9_000, 900, 90), variant('t', 1_000, 100, 10)] }).srm!
    expect(fine.chiSquare).toBe(0)
    expect(fine.detected).toBe(false)
    const paused = analyzeExperiment({ variants: [variant('c', 9_000, 900, 100), variant('t', 15, 1, 0)] }).srm!
    expect(paused).toEqual({ chiSquare: null, pValue: 0, detected: true })
    const idle = analyzeExperiment({
      variants: [variant('c', 5_000, 500, 50), variant('t', 5_050, 500, 50), variant('off', 0, 0, 0)],
    }).srm!
    expect(idle.detected).toBe(false)
    expect(idle.chiSquare).toBeCloseTo((2 * 25 ** 2) / 5025, 12)
  })

  it('default confidence level is 0.95 and version constants are exported', () => {
    expect(analyzeExperiment({ variants: [variant('c', 10, 1), variant('t', 10, 2)] }).confidenceLevel).toBe(0.95)
    expect(STATS_ENGINE_VERSION).toMatch(/^\d+\.\d+\.\d+$/)
    expect(typeof STATS_METHOD).toBe('string')
  })
})
