import { BoundedCache } from './bounded-cache.js'
import { CACHE_ENTRIES } from './limits.js'

// `null` marks a pattern that does not compile, so a bad pattern costs one failed compile, not one per request.
const caseSensitive = new BoundedCache<string, RegExp | null>(CACHE_ENTRIES)
const caseInsensitive = new BoundedCache<string, RegExp | null>(CACHE_ENTRIES)

function compile(pattern: string, flags: string): RegExp | null {
  try {
    return new RegExp(pattern, flags)
  } catch {
    return null
  }
}

/**
 * The compiled RegExp for a pattern (flag `i` when `ignoreCase`), or null if it does not compile.
 * Compiled once per pattern and reused; no `g`/`y` flag, so sharing one instance is safe.
 */
export function cachedRegex(pattern: string, ignoreCase: boolean): RegExp | null {
  const cache = ignoreCase ? caseInsensitive : caseSensitive
  let regex = cache.get(pattern)
  if (regex === undefined) {
    regex = compile(pattern, ignoreCase ? 'i' : '')
    cache.set(pattern, regex)
  }
  return regex
}

/** Number of cached patterns, per flag; for tests and metrics. */
export function regexCacheSize(): { caseSensitive: number; caseInsensitive: number } {
  return { caseSensitive: caseSensitive.size, caseInsensitive: caseInsensitive.size }
}

/** Empties both regex caches; for tests. */
export function clearRegexCache(): void {
  caseSensitive.clear()
  caseInsensitive.clear()
}
