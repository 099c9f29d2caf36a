import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { FNV_OFFSET_BASIS, fnv1a32, fnv1a32Decimal, fnv1aUpdate } from '../src/index.js'
import { referenceFnv1a32 } from './reference.js'

describe('fnv1a32', () => {
  // Published FNV-1a 32-bit test values (Landon Curt Noll's FNV test suite, test_fnv.c).
  it.each([
    ['', 0x811c9dc5],
    ['a', 0xe40c292c],
    ['foobar', 0xbf9cf968],
  ])('matches the published FNV-1a value for %j', (input, expected) => {
    expect(fnv1a32(input)).toBe(expected)
  })

  it('returns an unsigned 32-bit integer', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary' }), (s) => {
        const h = fnv1a32(s)
        return Number.isInteger(h) && h >= 0 && h <= 0xffffffff
      }),
    )
  })

  it('equals a BigInt textbook implementation over UTF-16 code units', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 64 }), (s) => fnv1a32(s) === referenceFnv1a32(s)),
      { numRuns: 500 },
    )
  })

  it('hashes code units, not code points or UTF-8 bytes', () => {
    // U+1F389 is the surrogate pair D83C DF89: two steps of FNV, one per unit.
    const pair = String.fromCharCode(0xd83c, 0xdf89)
    expect(pair).toBe('🎉')
    expect(fnv1a32('🎉')).toBe(fnv1aUpdate(fnv1aUpdate(FNV_OFFSET_BASIS, '\ud83c'), '\udf89') >>> 0)
    // "ü" as one code unit (U+00FC) differs from "u" + combining diaeresis: no normalization happens.
    expect(fnv1a32('\u00fc')).not.toBe(fnv1a32('u\u0308'))
    // A code unit above 0xFF is XORed in whole (a byte-oriented port would differ).
    expect(fnv1a32('日')).toBe(referenceFnv1a32('日'))
    expect(fnv1a32('日')).not.toBe(fnv1a32(Buffer.from('日', 'utf8').toString('latin1')))
  })

  it('is streamable: hashing a + b equals continuing the state of a with b', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary' }), fc.string({ unit: 'binary' }), (a, b) => {
        return fnv1a32(a + b) === fnv1aUpdate(fnv1aUpdate(FNV_OFFSET_BASIS, a), b) >>> 0
      }),
    )
  })
})

describe('fnv1a32Decimal', () => {
  it.each([0, 1, 9, 10, 99, 100, 123456789, 1000000000, 2147483647, 2147483648, 4294967295])('equals fnv1a32(String(%d))', (n) => {
    expect(fnv1a32Decimal(n)).toBe(fnv1a32(String(n)))
  })

  it('equals hashing the decimal string for any uint32', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 0xffffffff }), (n) => fnv1a32Decimal(n) === fnv1a32(String(n))),
      { numRuns: 2000 },
    )
  })
})
