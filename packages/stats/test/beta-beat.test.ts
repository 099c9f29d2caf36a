import betaLogPdf from '@stdlib/stats-base-dists-beta-logpdf'
import betaln from '@stdlib/math-base-special-betaln'
import { describe, expect, it } from 'vitest'
import { probabilityToBeatClosedForm, sumOverAlphaB } from '../src/beta-beat-exact.js'
import { probabilityToBeatByQuadrature } from '../src/beta-beat-quadrature.js'
import { CLOSED_FORM_LIMIT, probabilityToBeatControl } from '../src/beta-beat.js'
import { logBetaDensityAtMode, logBetaShiftRatio, stirlingRemainder } from '../src/stirling.js'

/** Posterior parameters Beta(1 + x, 1 + n − x) for treatment and control. */
function params(xt: number, nt: number, xc: number, nc: number): [number, number, number, number] {
  return [1 + xt, 1 + nt - xt, 1 + xc, 1 + nc - xc]
}

describe('exact closed-form sum (Evan Miller, "Formulas for Bayesian A/B Testing", 2015)', () => {
  it('matches hand-derivable cases', () => {
    // θ_t ~ Beta(2,1) (density 2x) against θ_c ~ U(0,1): ∫ 2x·x dx = 2/3.
    expect(sumOverAlphaB(1, 1, 2, 1)).toBeCloseTo(2 / 3, 14)
    // θ_t ~ U(0,1) against θ_c ~ Beta(1,2): E[1 − θ_c] = 2/3.
    expect(probabilityToBeatClosedForm(1, 1, 1, 2)).toBeCloseTo(2 / 3, 14)
    // θ_t ~ Beta(3,1) against θ_c ~ Beta(1,3): ∫ 3x²·(1 − (1 − x)³) dx = 1 − 3·B(3,4) = 1 − 1/20.
    expect(probabilityToBeatClosedForm(3, 1, 1, 3)).toBeCloseTo(19 / 20, 14)
  })

  it('agrees with 25-digit references (mpmath, exact sum at 40 digits)', () => {
    const references: [number, number, number, number, number][] = [
      [67, 250, 45, 250, 0.990761615963819463844191],
      [45, 250, 67, 250, 0.009238384036180536155809039],
      [5000, 100_000, 5100, 100_000, 0.1536017388181053180438913],
    ]
    for (const [xt, nt, xc, nc, expected] of references) {
      expect(Math.abs(probabilityToBeatClosedForm(...params(xt, nt, xc, nc)) - expected)).toBeLessThan(1e-13)
    }
  })

  it('gives the same answer whichever of the four parameters it sums over', () => {
    const cases: [number, number, number, number][] = [
      [30, 400, 41, 380],
      [390, 400, 371, 380],
      [12, 13, 200, 260],
      [3, 9, 700, 1000],
    ]
    for (const [xt, nt, xc, nc] of cases) {
      const [at, bt, ac, bc] = params(xt, nt, xc, nc)
      const p = probabilityToBeatClosedForm(at, bt, ac, bc)
      // Complement (control beats treatment) and reflection θ → 1 − θ pick other branches.
      expect(Math.abs(p - (1 - probabilityToBeatClosedForm(ac, bc, at, bt)))).toBeLessThan(1e-13)
      expect(Math.abs(p - probabilityToBeatClosedForm(bc, ac, bt, at))).toBeLessThan(1e-13)
    }
  })
})

describe('quadrature for large counts', () => {
  it('agrees with 25-digit references at 10^7 users', () => {
    const references: [number, number, number, number, number][] = [
      [100_000, 10_000_000, 100_300, 10_000_000, 0.2502516447499109434943581],
      [38_221, 165_019, 634_240, 2_761_375, 0.96512424423181006138609],
    ]
    for (const [xt, nt, xc, nc, expected] of references) {
      expect(Math.abs(probabilityToBeatByQuadrature(...params(xt, nt, xc, nc)) - expected)).toBeLessThan(1e-12)
      expect(Math.abs(probabilityToBeatControl(xt, nt, xc, nc) - expected)).toBeLessThan(1e-12)
    }
  })

  it('agrees with the exact sum to 1e-9 wherever both run (randomised grid, fixed seed)', () => {
    let seed = 20240611
    const random = (): number => {
      seed = (seed * 1103515245 + 12345) % 2147483648
      return seed / 2147483648
    }
    let compared = 0
    let worst = 0
    while (compared < 150) {
      const nt = Math.floor(Math.exp(Math.log(5e3) + random() * Math.log(2e3)))
      const nc = random() < 0.3 ? nt : Math.floor(Math.exp(Math.log(5e3) + random() * Math.log(2e3)))
      const rate = random() < 0.5 ? 0.05 * random() : random()
      const other = Math.min(1, rate * (1 + (random() - 0.5) * 0.05))
      const [at, bt, ac, bc] = params(Math.round(rate * nt), nt, Math.round(other * nc), nc)
      const smallest = Math.min(at, bt, ac, bc)
      if (smallest <= CLOSED_FORM_LIMIT || smallest > 40_000) continue
      const exact = probabilityToBeatClosedForm(at, bt, ac, bc)
      const quadrature = probabilityToBeatByQuadrature(at, bt, ac, bc)
      worst = Math.max(worst, Math.abs(exact - quadrature))
      compared += 1
    }
    expect(worst).toBeLessThan(1e-9)
  })

  it('is continuous across the switch between the two methods', () => {
    // Smallest parameter just above the limit: the quadrature path; compare with the exact sum.
    const x = CLOSED_FORM_LIMIT
    for (const delta of [0, 20, 60, 150]) {
      const [at, bt, ac, bc] = params(x, 50_000, x + delta, 50_000)
      expect(Math.abs(probabilityToBeatByQuadrature(at, bt, ac, bc) - probabilityToBeatClosedForm(at, bt, ac, bc))).toBeLessThan(1e-10)
    }
  })

  it('handles very unequal arms and well-separated posteriors', () => {
    expect(probabilityToBeatControl(300_000, 10_000_000, 100_000, 10_000_000)).toBe(1)
    expect(probabilityToBeatControl(100_000, 10_000_000, 300_000, 10_000_000)).toBe(0)
    const p = probabilityToBeatControl(2_600, 100_000, 250_000, 10_000_000)
    expect(p).toBeGreaterThan(0.9)
    expect(p).toBeLessThan(1)
  })
})

describe('Stirling-series helpers (reference values from mpmath at 40 digits)', () => {
  it('stirlingRemainder (absolute error ~1e-15: below z = 15 it is a difference of O(10) terms)', () => {
    const references: [number, number][] = [
      [1, 0.08106146679532725822],
      [2, 0.041340695955409294094],
      [5.5, 0.015134973221917378874],
      [14.9, 0.0055920025122508301839],
      [15, 0.005554733551962801371],
      [100, 0.00083333055563491468338],
      [1e7, 8.3333333333333305556e-9],
    ]
    for (const [z, expected] of references) {
      expect(Math.abs(stirlingRemainder(z) - expected)).toBeLessThan(1e-14)
    }
  })

  it('logBetaDensityAtMode', () => {
    expect(logBetaDensityAtMode(2001, 98001)).toBeCloseTo(6.8036053719301523897, 13)
    expect(logBetaDensityAtMode(3000001, 7000001)).toBeCloseTo(7.9204332350576099888, 13)
    // Moderate parameters, where the library log-density has no cancellation trouble.
    const mode = 40 / 100
    expect(logBetaDensityAtMode(41, 61)).toBeCloseTo(betaLogPdf(mode, 41, 61), 12)
  })

  it('logBetaShiftRatio', () => {
    expect(logBetaShiftRatio(3, 5, 7)).toBeCloseTo(-2.341805806147326980287192, 13)
    expect(logBetaShiftRatio(1, 1, 1)).toBeCloseTo(-Math.LN2, 13)
    expect(logBetaShiftRatio(2000, 1e7, 5e6)).toBeCloseTo(-810.8635902839110030486974, 11)
    expect(Math.abs(logBetaShiftRatio(634241, 2127136, 126799) - -32249.92332837419000911987)).toBeLessThan(1e-10)
    expect(logBetaShiftRatio(30, 50, 20)).toBeCloseTo(betaln(30, 70) - betaln(30, 50), 11)
  })
})
