import { describe, expect, it } from 'vitest'
import { bucketRangesFromSplits, variantIndexFor } from '../src/index.js'

// Upper-tail critical values of the chi-square distribution at alpha = 0.001
// (a statistic below them means p > 0.001). Source: NIST/SEMATECH e-Handbook of
// Statistical Methods, section 1.3.6.7.4, "Critical Values of the Chi-Square Distribution".
const CHI_SQUARE_CRITICAL_0_001: Record<number, number> = { 1: 10.828, 2: 13.816 }

const USERS = 100_000

function chiSquare(observed: readonly number[], expectedShares: readonly number[], total: number): number {
  return observed.reduce((sum, o, i) => {
    const e = total * (expectedShares[i] as number)
    return sum + ((o - e) * (o - e)) / e
  }, 0)
}

describe('distribution of sequential ids', () => {
  it.each([
    ['50/50', [50, 50]],
    ['33.33/33.33/33.34', [33.33, 33.33, 33.34]],
    ['90/10', [90, 10]],
  ])('%s passes a chi-square goodness-of-fit test at p > 0.001', (_label, splits) => {
    for (const seed of ['exp-distribution', 'checkout-button-color']) {
      const ranges = bucketRangesFromSplits(splits)
      const counts = new Array<number>(splits.length).fill(0)
      let unassigned = 0
      for (let i = 0; i < USERS; i++) {
        const v = variantIndexFor(seed, `user-${i}`, ranges)
        if (v < 0) unassigned++
        else counts[v] = (counts[v] as number) + 1
      }
      expect(unassigned).toBe(0)
      const stat = chiSquare(
        counts,
        splits.map((s) => s / 100),
        USERS,
      )
      const critical = CHI_SQUARE_CRITICAL_0_001[splits.length - 1] as number
      expect(stat, `seed ${seed}: counts ${counts.join('/')}, chi2 ${stat.toFixed(3)}`).toBeLessThan(critical)
    }
  })
})
