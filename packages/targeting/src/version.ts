import { BoundedCache } from './bounded-cache.js'
import { CACHE_ENTRIES } from './limits.js'

const padded = new BoundedCache<string, string>(CACHE_ENTRIES)
const DIGITS_ONLY = /^[0-9]+$/
// A leading "v", and build metadata from the first "+" on.
const DECORATIONS = /^v|\+.*$/g
const SEPARATORS = /[-.]/

function pad(version: string): string {
  const parts = version.replace(DECORATIONS, '').split(SEPARATORS)
  // "~" sorts after every letter and digit, so a release ("1.0.0") ranks above its prereleases ("1.0.0-rc.1").
  if (parts.length === 3) parts.push('~')
  return parts.map((part) => (DIGITS_ONLY.test(part) ? part.padStart(5, ' ') : part)).join('-')
}

/**
 * GrowthBook's sortable form of a version, compared with plain string `<`/`>`/`===`.
 * Numbers are stringified; anything else that is not a non-empty string counts as "0".
 * E.g. `paddedVersion('v1.2.3+build') === '    1-    2-    3-~'`.
 */
export function paddedVersion(input: unknown): string {
  const text = typeof input === 'number' ? String(input) : typeof input === 'string' && input !== '' ? input : '0'
  let result = padded.get(text)
  if (result === undefined) {
    result = pad(text)
    padded.set(text, result)
  }
  return result
}
