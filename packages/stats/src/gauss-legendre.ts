/** Nodes and weights of an n-point Gauss–Legendre rule on [-1, 1]. */
export interface GaussLegendreRule {
  readonly nodes: Float64Array
  readonly weights: Float64Array
}

/** Legendre polynomials P_0..P_maxDegree evaluated at t (three-term recurrence). */
function legendreValues(t: number, maxDegree: number): Float64Array {
  const values = new Float64Array(maxDegree + 1)
  values[0] = 1
  if (maxDegree >= 1) values[1] = t
  for (let k = 1; k < maxDegree; k++) {
    values[k + 1] = ((2 * k + 1) * t * values[k]! - k * values[k - 1]!) / (k + 1)
  }
  return values
}

/** Builds the n-point Gauss–Legendre rule by Newton iteration on P_n. */
export function gaussLegendre(n: number): GaussLegendreRule {
  const nodes = new Float64Array(n)
  const weights = new Float64Array(n)
  for (let i = 0; i < n; i++) {
    // Tricomi's initial guess for the i-th largest root, refined by Newton's method.
    let t = Math.cos((Math.PI * (i + 0.75)) / (n + 0.5))
    let derivative = 0
    for (let iteration = 0; iteration < 100; iteration++) {
      const p = legendreValues(t, n)
      const pn = p[n]!
      const pn1 = p[n - 1]!
      derivative = (n * (t * pn - pn1)) / (t * t - 1)
      const step = pn / derivative
      t -= step
      if (Math.abs(step) < 1e-16) break
    }
    const p = legendreValues(t, n)
    derivative = (n * (t * p[n]! - p[n - 1]!)) / (t * t - 1)
    // Store ascending: the i-th largest root goes to slot n-1-i.
    nodes[n - 1 - i] = t
    weights[n - 1 - i] = 2 / ((1 - t * t) * derivative * derivative)
  }
  return { nodes, weights }
}

/**
 * Spectral integration matrix Q (row-major n×n) for a Gauss–Legendre rule:
 * for samples f_j at the nodes, (Q f)_i = ∫_{-1}^{t_i} p(t) dt, where p is the
 * degree n-1 interpolant of the samples.
 */
export function cumulativeIntegrationMatrix(rule: GaussLegendreRule): Float64Array {
  const n = rule.nodes.length
  const legendreAtNodes = Array.from(rule.nodes, (t) => legendreValues(t, n))
  const q = new Float64Array(n * n)
  for (let i = 0; i < n; i++) {
    const pi = legendreAtNodes[i]!
    const ti = rule.nodes[i]!
    for (let j = 0; j < n; j++) {
      const pj = legendreAtNodes[j]!
      // ℓ_j(t) = w_j Σ_k (k + ½) P_k(t_j) P_k(t), and ∫_{-1}^{x} P_k = (P_{k+1}(x) − P_{k−1}(x)) / (2k + 1).
      let sum = (ti + 1) / 2
      for (let k = 1; k < n; k++) sum += 0.5 * pj[k]! * (pi[k + 1]! - pi[k - 1]!)
      q[i * n + j] = rule.weights[j]! * sum
    }
  }
  return q
}
