/** Holm (1979) step-down adjusted p-values, returned in input order (monotone, capped at 1). */
export function holmAdjust(pValues: readonly number[]): number[] {
  const m = pValues.length
  // Array.prototype.sort is stable, so ties keep input order and the result is deterministic.
  const order = pValues.map((_, index) => index).sort((a, b) => pValues[a]! - pValues[b]!)
  const adjusted = new Array<number>(m)
  let running = 0
  for (let rank = 0; rank < m; rank++) {
    const index = order[rank]!
    running = Math.max(running, Math.min(1, (m - rank) * pValues[index]!))
    adjusted[index] = running
  }
  return adjusted
}
