import { beforeEach, describe, expect, it } from 'vitest'
import { BoundedCache } from '../src/bounded-cache.js'
import { evaluateConditions } from '../src/index.js'
import { CACHE_ENTRIES } from '../src/limits.js'
import { cachedRegex, clearRegexCache, regexCacheSize } from '../src/regex-cache.js'
import { paddedVersion } from '../src/version.js'

describe('BoundedCache', () => {
  it('drops the oldest entry once full', () => {
    const cache = new BoundedCache<string, number>(2)
    cache.set('a', 1)
    cache.set('b', 2)
    cache.set('a', 10) // updating a key does not evict
    expect(cache.size).toBe(2)
    cache.set('c', 3)
    expect(cache.get('a')).toBeUndefined()
    expect(cache.get('b')).toBe(2)
    expect(cache.get('c')).toBe(3)
  })
})

describe('regex cache', () => {
  beforeEach(() => clearRegexCache())

  it('compiles a pattern once per flag and reuses it', () => {
    const first = cachedRegex('^ab+', false)
    expect(cachedRegex('^ab+', false)).toBe(first)
    expect(cachedRegex('^ab+', true)).not.toBe(first)
    expect(cachedRegex('^ab+', true)?.flags).toBe('i')
    expect(regexCacheSize()).toEqual({ caseSensitive: 1, caseInsensitive: 1 })
  })

  it('remembers patterns that do not compile', () => {
    expect(cachedRegex('(', false)).toBeNull()
    expect(regexCacheSize().caseSensitive).toBe(1)
  })

  it(`holds at most ${CACHE_ENTRIES} patterns per flag`, () => {
    for (let i = 0; i < CACHE_ENTRIES + 50; i++) cachedRegex(`^p${i}$`, false)
    expect(regexCacheSize().caseSensitive).toBe(CACHE_ENTRIES)
  })

  it('is used by evaluation: repeated evaluations add no entries', () => {
    const condition = { ua: { $regex: 'Mobile' }, email: { $regexi: '@EXAMPLE' } }
    for (let i = 0; i < 100; i++) evaluateConditions(condition, { ua: `Mobile ${i}`, email: `u${i}@example.com` })
    expect(regexCacheSize()).toEqual({ caseSensitive: 1, caseInsensitive: 1 })
  })
})

describe('padded versions', () => {
  it.each([
    ['1.2.3', '    1-    2-    3-~'],
    ['v1.2.3+build.7', '    1-    2-    3-~'],
    ['1.2.3-rc.1', '    1-    2-    3-rc-    1'],
    ['1.2', '    1-    2'],
    ['', '    0'],
  ])('%j → %j', (input, expected) => {
    expect(paddedVersion(input)).toBe(expected)
  })

  it('stringifies numbers and reads other values as "0"', () => {
    expect(paddedVersion(2)).toBe(paddedVersion('2'))
    expect(paddedVersion(null)).toBe(paddedVersion('0'))
    expect(paddedVersion({ v: 1 })).toBe(paddedVersion('0'))
  })
})
