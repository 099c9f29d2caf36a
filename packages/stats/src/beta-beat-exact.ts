import { logBetaShiftRatio } from './stirling.js'

const RESCALE_ABOVE = 2 ** 900
const RESCALE_FACTOR = 2 ** -900
const LN_RESCALE = 900 * Math.LN2

/**
 * P(p_B > p_A) for p_A ~ Beta(aA, bA), p_B ~ Beta(aB, bB) with integer aB ≥ 1, by the
 * finite sum Σ_{i<aB} B(aA+i, bA+bB) / ((bB+i)·B(1+i, bB)·B(aA, bA)) (Evan Miller, 2015).
 * Costs aB steps; terms are positive, so there is no cancellation.
 */
export function sumOverAlphaB(aA: number, bA: number, aB: number, bB: number): number {
  // First term (i = 0) equals B(aA, bA+bB)/B(aA, bA); each next term follows from the ratio
  // t_{i+1}/t_i = (aA+i)(bB+i) / ((aA+bA+bB+i)(i+1)), kept in a rescaled form to avoid under/overflow.
  let logScale = logBetaShiftRatio(aA, bA, bB)
  let term = 1
  let sum = 0
  const total = aA + bA + bB
  for (let i = 0; i < aB; i++) {
    sum += term
    term *= ((aA + i) * (bB + i)) / ((total + i) * (i + 1))
    if (term > RESCALE_ABOVE) {
      term *= RESCALE_FACTOR
      sum *= RESCALE_FACTOR
      logScale += LN_RESCALE
    }
  }
  return Math.exp(logScale + Math.log(sum))
}

/**
 * Exact P(θ_t > θ_c) for θ_t ~ Beta(at, bt), θ_c ~ Beta(ac, bc) with integer parameters,
 * summing over whichever of the four parameters is smallest (symmetries of the Beta pair).
 */
export function probabilityToBeatClosedForm(at: number, bt: number, ac: number, bc: number): number {
  const smallest = Math.min(at, bt, ac, bc)
  let p: number
  if (smallest === at) p = sumOverAlphaB(ac, bc, at, bt)
  else if (smallest === ac) p = 1 - sumOverAlphaB(at, bt, ac, bc)
  // θ_t > θ_c ⇔ 1 − θ_c > 1 − θ_t, and 1 − θ ~ Beta(b, a).
  else if (smallest === bc) p = sumOverAlphaB(bt, at, bc, ac)
  else p = 1 - sumOverAlphaB(bc, ac, bt, at)
  return Math.min(1, Math.max(0, p))
}
