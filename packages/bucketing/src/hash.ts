import { FNV_OFFSET_BASIS, fnv1a32Decimal, fnv1aUpdate } from './fnv.js'

/** Hash version the platform assigns with (GrowthBook's "v2", unbiased). */
export const HASH_VERSION = 2

/** v2 hash of `seed + value` in [0, 1) with 4 decimals, without allocating the concatenation, e.g. `hashV2('seed', 'a') === 0.0505`. */
export function hashV2(seed: string, value: string): number {
  const first = fnv1aUpdate(fnv1aUpdate(FNV_OFFSET_BASIS, seed), value) >>> 0
  return (fnv1a32Decimal(first) % 10000) / 10000
}

/** v1 hash of `value + seed` in [0, 1) with 3 decimals (legacy, biased), e.g. `hashV1('', 'a') === 0.22`. */
export function hashV1(seed: string, value: string): number {
  return ((fnv1aUpdate(fnv1aUpdate(FNV_OFFSET_BASIS, value), seed) >>> 0) % 1000) / 1000
}

/** GrowthBook-compatible bucket hash; unknown versions give null, e.g. `hash('seed', 'a', 2) === 0.0505`, `hash('a', 'b', 99) === null`. */
export function hash(seed: string, value: string, version: number): number | null {
  if (version === 2) return hashV2(seed, value)
  if (version === 1) return hashV1(seed, value)
  return null
}
