// Log-gamma differences written so that the large (z − ½)·ln z parts cancel
// analytically instead of numerically: at 10^7 users lnΓ is ~10^8, so subtracting
// two of them would leave only ~1e-8 absolute precision.

const SERIES_START = 15

/**
 * Stirling remainder λ(z) = lnΓ(z) − [(z − ½)·ln z − z + ½·ln 2π] for z > 0.
 * For z ≥ 15 the asymptotic series is used; its error is below the first omitted
 * term, 691/(360360·z¹¹) < 3e-16. Smaller z are shifted up by the recurrence Γ(z+1) = zΓ(z).
 */
export function stirlingRemainder(z: number): number {
  if (z >= SERIES_START) {
    const r = 1 / z
    const r2 = r * r
    return r * (1 / 12 - r2 * (1 / 360 - r2 * (1 / 1260 - r2 * (1 / 1680 - r2 / 1188))))
  }
  const shift = Math.ceil(SERIES_START - z)
  let product = 1
  for (let j = 0; j < shift; j++) product *= z + j
  const shifted = z + shift
  const mainShifted = (shifted - 0.5) * Math.log(shifted) - shifted
  const main = (z - 0.5) * Math.log(z) - z
  return stirlingRemainder(shifted) + mainShifted - main - Math.log(product)
}

/** ln(p / q) for p, q > 0, accurate when p ≈ q (p − q must be exact, e.g. integers). */
export function logRatio(p: number, q: number): number {
  const diff = p - q
  return Math.abs(diff) < 0.5 * q ? Math.log1p(diff / q) : Math.log(p / q)
}

/** ln of the Beta(α, β) density at its mode (α, β > 1), free of cancellation. */
export function logBetaDensityAtMode(alpha: number, beta: number): number {
  const k = alpha - 1
  const l = beta - 1
  const n = k + l
  // f(mode) = (n+1)·C(n,k)·(k/n)^k·(l/n)^l; Stirling's formula makes the power terms cancel exactly.
  return Math.log(n + 1) + 0.5 * Math.log(n / (2 * Math.PI * k * l)) + stirlingRemainder(n) - stirlingRemainder(k) - stirlingRemainder(l)
}

/** ln[B(a, b + c) / B(a, b)] for a, b, c > 0, i.e. ln E[(1 − p)^c] for p ~ Beta(a, b). */
export function logBetaShiftRatio(a: number, b: number, c: number): number {
  const total = a + b + c
  // lnΓ(b+c) + lnΓ(a+b) − lnΓ(b) − lnΓ(a+b+c): the −z and ½·ln 2π parts cancel exactly.
  const main = (b - 0.5) * Math.log1p((a * c) / (b * total)) + c * logRatio(b + c, total) + a * logRatio(a + b, total)
  const remainder = stirlingRemainder(b + c) + stirlingRemainder(a + b) - stirlingRemainder(b) - stirlingRemainder(total)
  return main + remainder
}
