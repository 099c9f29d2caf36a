import { probabilityToBeatClosedForm } from './beta-beat-exact.js'
import { probabilityToBeatByQuadrature } from './beta-beat-quadrature.js'

/** Below this smallest Beta parameter the exact sum is used (cheap, and posteriors may be skewed). */
export const CLOSED_FORM_LIMIT = 2000

/**
 * P(θ_t > θ_c) with independent Beta(1 + x, 1 + n − x) posteriors (uniform priors).
 * Exact sum when any parameter is ≤ CLOSED_FORM_LIMIT, quadrature otherwise; both agree to < 1e-9.
 */
export function probabilityToBeatControl(
  treatmentConversions: number,
  treatmentSampleSize: number,
  controlConversions: number,
  controlSampleSize: number,
): number {
  const at = 1 + treatmentConversions
  const bt = 1 + treatmentSampleSize - treatmentConversions
  const ac = 1 + controlConversions
  const bc = 1 + controlSampleSize - controlConversions
  // Identical posteriors: exactly ½ by symmetry.
  if (at === ac && bt === bc) return 0.5
  if (Math.min(at, bt, ac, bc) <= CLOSED_FORM_LIMIT) return probabilityToBeatClosedForm(at, bt, ac, bc)
  return probabilityToBeatByQuadrature(at, bt, ac, bc)
}
