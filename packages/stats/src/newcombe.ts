import type { Interval } from './types.js'

/**
 * Newcombe (1998) hybrid score interval (method 10) for p1 − p2, from the Wilson intervals of each arm.
 * `difference` is p1 − p2 (passed in so callers can compute it exactly).
 */
export function newcombeInterval(p1: number, wilson1: Interval, p2: number, wilson2: Interval, difference: number = p1 - p2): Interval {
  const below = Math.sqrt((p1 - wilson1[0]) ** 2 + (wilson2[1] - p2) ** 2)
  const above = Math.sqrt((wilson1[1] - p1) ** 2 + (p2 - wilson2[0]) ** 2)
  return [Math.max(-1, difference - below), Math.min(1, difference + above)]
}
