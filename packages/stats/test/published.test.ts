// Checks against values printed in published references. Each case names its source
// (paper / book, table, row); published figures are rounded, so the check is to the printed digits.
import { describe, expect, it } from 'vitest'
import {
  analyzeExperiment,
  chiSquarePValue,
  criticalZ,
  newcombeInterval,
  pooledZStatistic,
  pooledZTestPValue,
  sampleRatioMismatch,
  wilsonInterval,
} from '../src/index.js'

const z95 = criticalZ(0.95)

/** Asserts value rounds to the printed figure with the given number of decimals. */
function expectPrinted(value: number, printed: number, decimals: number): void {
  expect(Math.abs(value - printed)).toBeLessThanOrEqual(0.5 * 10 ** -decimals + 1e-12)
}

describe('Wilson score interval — Newcombe (1998a), Statistics in Medicine 17:857–872, Table I, method 3 (score, no continuity correction)', () => {
  const rows: [string, number, number, number, number][] = [
    ['81/263', 81, 263, 0.2553, 0.3662],
    ['15/148', 15, 148, 0.0624, 0.1605],
    ['0/20', 0, 20, 0, 0.1611],
    ['1/29', 1, 29, 0.0061, 0.1718],
  ]
  it.each(rows)('%s', (_label, x, n, low, high) => {
    const [l, h] = wilsonInterval(x, n, z95)
    expectPrinted(l, low, 4)
    expectPrinted(h, high, 4)
  })
})

describe('Newcombe hybrid score interval — Newcombe (1998b), Statistics in Medicine 17:873–890, Table II, method 10', () => {
  const rows: [string, number, number, number, number, number, number][] = [
    ['(a) 56/70 − 48/80', 56, 70, 48, 80, 0.0524, 0.3339],
    ['(b) 9/10 − 3/10', 9, 10, 3, 10, 0.1705, 0.809],
    ['(c) 6/7 − 2/7', 6, 7, 2, 7, 0.0582, 0.8062],
    ['(d) 5/56 − 0/29', 5, 56, 0, 29, -0.0381, 0.1926],
    ['(e) 0/10 − 0/20', 0, 10, 0, 20, -0.1611, 0.2775],
    ['(f) 0/10 − 0/10', 0, 10, 0, 10, -0.2775, 0.2775],
    ['(g) 10/10 − 0/20', 10, 10, 0, 20, 0.6791, 1],
    ['(h) 10/10 − 0/10', 10, 10, 0, 10, 0.6075, 1],
  ]
  it.each(rows)('%s', (_label, x1, n1, x2, n2, low, high) => {
    const [l, h] = newcombeInterval(x1 / n1, wilsonInterval(x1, n1, z95), x2 / n2, wilsonInterval(x2, n2, z95))
    expectPrinted(l, low, 4)
    expectPrinted(h, high, 4)
  })

  it('row (a) through analyzeExperiment (treatment 56/70 against control 48/80)', () => {
    const result = analyzeExperiment({
      variants: [
        { variantId: 'c', variantName: 'c', sampleSize: 80, conversions: 48, splitPercentage: 50 },
        { variantId: 't', variantName: 't', sampleSize: 70, conversions: 56, splitPercentage: 50 },
      ],
    })
    const [l, h] = result.variants[1]!.absoluteLiftInterval!
    expectPrinted(l, 0.0524, 4)
    expectPrinted(h, 0.3339, 4)
  })
})

describe('pooled two-proportion z-test', () => {
  it('Lane, HyperStat Online, "Tests of Differences between Proportions": 73/85 vs 43/82 gives SE 0.0713, z = 4.69, p < 0.0001', () => {
    const z = pooledZStatistic(73, 85, 43, 82)!
    expectPrinted(z, 4.69, 2)
    const pooled = (73 + 43) / (85 + 82)
    expectPrinted(Math.sqrt(pooled * (1 - pooled) * (1 / 85 + 1 / 82)), 0.0713, 4)
    expect(pooledZTestPValue(73, 85, 43, 82)).toBeLessThan(0.0001)
  })

  it('z² equals the Pearson chi-square of the 2×2 table (no continuity correction)', () => {
    const z = pooledZStatistic(67, 250, 45, 250)!
    // 2×2 table [[67, 183], [45, 205]] with expected counts from the margins.
    const table = [
      [67, 183],
      [45, 205],
    ]
    const rowTotals = [250, 250]
    const colTotals = [112, 388]
    let chi = 0
    for (let r = 0; r < 2; r++) {
      for (let c = 0; c < 2; c++) {
        const expected = (rowTotals[r]! * colTotals[c]!) / 500
        chi += (table[r]![c]! - expected) ** 2 / expected
      }
    }
    expect(z * z).toBeCloseTo(chi, 12)
    expect(pooledZTestPValue(67, 250, 45, 250)).toBeCloseTo(chiSquarePValue(chi, 1), 12)
  })
})

describe('normal critical values — NIST/SEMATECH e-Handbook of Statistical Methods, §1.3.6.7.1', () => {
  it.each([
    [0.8, 1.282],
    [0.9, 1.645],
    [0.95, 1.96],
    [0.99, 2.576],
    [0.999, 3.291],
  ])('two-sided %s → z = %s', (level, printed) => {
    expectPrinted(criticalZ(level), printed, 3)
  })
})

describe('chi-square upper critical values — NIST/SEMATECH e-Handbook of Statistical Methods, §1.3.6.7.4', () => {
  const rows: [number, number, number][] = [
    [1, 0.05, 3.841],
    [1, 0.01, 6.635],
    [1, 0.001, 10.828],
    [2, 0.05, 5.991],
    [2, 0.01, 9.21],
    [2, 0.001, 13.816],
    [3, 0.05, 7.815],
    [3, 0.001, 16.266],
    [4, 0.05, 9.488],
    [4, 0.001, 18.467],
  ]
  it.each(rows)('df %i, upper tail %s at %s', (df, alpha, critical) => {
    // The printed critical value is the exact quantile rounded to 3 decimals, so the exact
    // quantile lies within ±0.0005 of it: the tail area must bracket alpha across that range.
    expect(chiSquarePValue(critical - 0.0005, df)).toBeGreaterThanOrEqual(alpha)
    expect(chiSquarePValue(critical + 0.0005, df)).toBeLessThanOrEqual(alpha)
  })
})

describe('sample ratio mismatch — Kohavi, Tang & Xu (2020), Trustworthy Online Controlled Experiments, ch. 3', () => {
  it('821,588 vs 815,482 users on a 50/50 split: p ≈ 1.8e-6, a mismatch', () => {
    const srm = sampleRatioMismatch([821_588, 815_482], [50, 50])!
    expectPrinted(srm.pValue * 1e6, 1.8, 1)
    expect(srm.detected).toBe(true)
  })
})

describe('seed example from the issue: 250 users with 45 conversions vs 250 with 67', () => {
  it('rates are 0.18 and 0.268', () => {
    const result = analyzeExperiment({
      variants: [
        { variantId: 'control', variantName: 'Control', sampleSize: 250, conversions: 45, splitPercentage: 50 },
        { variantId: 'treatment', variantName: 'Treatment', sampleSize: 250, conversions: 67, splitPercentage: 50 },
      ],
    })
    expect(result.variants[0]!.conversionRate).toBe(0.18)
    expect(result.variants[1]!.conversionRate).toBe(0.268)
    expect(result.variants[1]!.absoluteLift).toBeCloseTo(0.088, 15)
    expect(result.srm).toEqual({ chiSquare: 0, pValue: 1, detected: false })
  })
})
