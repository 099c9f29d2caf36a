import { probabilityToBeatControl } from './beta-beat.js'
import { holmAdjust } from './holm.js'
import { newcombeInterval } from './newcombe.js'
import { criticalZ } from './normal.js'
import { conversionRate, rateDifference } from './proportions.js'
import { relativeLift, relativeLiftInterval } from './relative-lift.js'
import { sampleRatioMismatch } from './srm.js'
import type { AnalyzeInput, AnalyzeResult, VariantAnalysis } from './types.js'
import { validateInput } from './validate.js'
import { wilsonInterval } from './wilson.js'
import { pooledZTestPValue } from './z-test.js'

/**
 * Analyses an experiment: per-variant rates with Wilson intervals, lifts against the control
 * (Newcombe and delta-method intervals), pooled z-test p-values with Holm adjustment,
 * Bayesian probability to beat control, and a sample-ratio-mismatch check.
 * Throws StatsInputError on invalid input. Figures are full double precision (no rounding).
 */
export function analyzeExperiment(input: AnalyzeInput): AnalyzeResult {
  const { variants, controlIndex, confidenceLevel } = validateInput(input)
  const z = criticalZ(confidenceLevel)
  const control = variants[controlIndex]!
  const nc = control.sampleSize
  const xc = control.conversions
  const controlRate = conversionRate(xc, nc)
  const controlInterval = wilsonInterval(xc, nc, z)

  const rows: VariantAnalysis[] = variants.map((variant, index) => {
    const nt = variant.sampleSize
    const xt = variant.conversions
    const rate = conversionRate(xt, nt)
    const interval = wilsonInterval(xt, nt, z)
    const row: VariantAnalysis = {
      variantId: variant.variantId,
      variantName: variant.variantName,
      isControl: index === controlIndex,
      sampleSize: nt,
      conversions: xt,
      conversionRate: rate,
      conversionRateInterval: interval,
      absoluteLift: null,
      absoluteLiftInterval: null,
      relativeLift: null,
      relativeLiftInterval: null,
      pValue: null,
      adjustedPValue: null,
      significant: null,
      probabilityToBeatControl: null,
    }
    if (index === controlIndex) return row
    const difference = rateDifference(xt, nt, xc, nc)
    row.absoluteLift = difference
    row.absoluteLiftInterval = newcombeInterval(rate, interval, controlRate, controlInterval, difference)
    row.relativeLift = relativeLift(xt, nt, xc, nc)
    row.relativeLiftInterval = relativeLiftInterval(xt, nt, xc, nc, z)
    row.pValue = pooledZTestPValue(xt, nt, xc, nc)
    row.probabilityToBeatControl = probabilityToBeatControl(xt, nt, xc, nc)
    return row
  })

  const treatments = rows.filter((row) => !row.isControl)
  const adjusted = holmAdjust(treatments.map((row) => row.pValue!))
  const alpha = 1 - confidenceLevel
  treatments.forEach((row, i) => {
    row.adjustedPValue = adjusted[i]!
    row.significant = adjusted[i]! < alpha
  })

  return {
    controlVariantId: control.variantId,
    confidenceLevel,
    srm: sampleRatioMismatch(
      variants.map((v) => v.sampleSize),
      variants.map((v) => v.splitPercentage),
    ),
    variants: rows,
  }
}
