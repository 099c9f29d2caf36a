import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { HASH_VERSION, hash, hashV1, hashV2 } from '../src/index.js'
import growthbook from './growthbook-cases.json' with { type: 'json' }
import { referenceHash } from './reference.js'

const hashCases = growthbook.hash as [string, string, number, number | null][]

describe('hash: GrowthBook published cases', () => {
  it.each(hashCases)('hash(%j, %j, %d) = %j', (seed, value, version, expected) => {
    expect(hash(seed, value, version)).toBe(expected)
  })
})

describe('hash', () => {
  it('platform uses version 2', () => {
    expect(HASH_VERSION).toBe(2)
  })

  it.each([0, 3, 99, -1, 1.5, 2.0000001, Number.NaN])('returns null for unknown version %d', (version) => {
    expect(hash('seed', 'value', version)).toBeNull()
  })

  it('v2 is seed + value, v1 is value + seed', () => {
    expect(hash('ab', 'c', 2)).toBe(hash('a', 'bc', 2))
    expect(hash('c', 'ab', 1)).toBe(hash('bc', 'a', 1))
    expect(hash('seed', 'a', 2)).toBe(hashV2('seed', 'a'))
    expect(hash('seed', 'a', 1)).toBe(hashV1('seed', 'a'))
  })

  it('v2 gives 4-decimal values in [0, 1), v1 3-decimal values in [0, 1)', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary' }), fc.string({ unit: 'binary' }), (seed, value) => {
        const v2 = hashV2(seed, value)
        const v1 = hashV1(seed, value)
        return (
          v2 >= 0 &&
          v2 < 1 &&
          Number.isInteger(Math.round(v2 * 10000)) &&
          v2 === Math.round(v2 * 10000) / 10000 &&
          v1 >= 0 &&
          v1 < 1 &&
          v1 === Math.round(v1 * 1000) / 1000
        )
      }),
    )
  })

  it('equals a naive string-concatenation implementation (both versions)', () => {
    fc.assert(
      fc.property(
        fc.string({ unit: 'binary', maxLength: 40 }),
        fc.string({ unit: 'binary', maxLength: 40 }),
        fc.constantFrom(1, 2),
        (seed, value, version) => hash(seed, value, version) === referenceHash(seed, value, version),
      ),
      { numRuns: 500 },
    )
  })
})
