import type { Interval } from './types.js'

/** (p_t − p_c) / p_c, with an exact numerator when the products fit in 2^53; null when p_c = 0. */
export function relativeLift(xt: number, nt: number, xc: number, nc: number): number | null {
  if (nc === 0 || xc === 0) return null
  // An empty treatment arm has rate 0 by convention, hence a lift of −100%.
  if (nt === 0) return -1
  const a = xt * nc
  const b = xc * nt
  if (Number.isSafeInteger(a) && Number.isSafeInteger(b)) return (a - b) / b
  const pc = xc / nc
  return (xt / nt - pc) / pc
}

/**
 * Delta-method interval for the relative lift:
 * var = p_t(1−p_t)/(n_t·p_c²) + p_t²·p_c(1−p_c)/(n_c·p_c⁴), lift ± z·√var.
 * The lower end is truncated at −1 (a rate cannot fall below zero). Null when p_c = 0 or n_t = 0.
 */
export function relativeLiftInterval(xt: number, nt: number, xc: number, nc: number, z: number): Interval | null {
  const lift = relativeLift(xt, nt, xc, nc)
  if (lift === null || nt === 0) return null
  const pt = xt / nt
  const pc = xc / nc
  // Second term simplified: p_t²·p_c(1−p_c)/(n_c·p_c⁴) = p_t²(1−p_c)/(n_c·p_c³).
  const variance = (pt * (1 - pt)) / (nt * pc * pc) + (pt * pt * (1 - pc)) / (nc * pc * pc * pc)
  const half = z * Math.sqrt(variance)
  return [Math.max(-1, lift - half), lift + half]
}
