import { describe, expect, it } from 'vitest'
import { assignVariant, bucketRangesFromSplits, fnv1a32, hash, HASH_VERSION, variantIndexFor } from '../src/index.js'
import vectors from '../vectors.json' with { type: 'json' }

describe('vectors.json', () => {
  it('is generated for the platform hash version', () => {
    expect(vectors.hashVersion).toBe(HASH_VERSION)
  })

  it('covers non-ASCII, emoji, empty-seed and long inputs', () => {
    const values = vectors.hash.map((v) => v.value)
    expect(values).toEqual(expect.arrayContaining(['ü', '日本', '🎉', '']))
    expect(values.some((v) => v.length >= 1000)).toBe(true)
    expect(vectors.hash.some((v) => v.seed === '')).toBe(true)
    expect(vectors.assignment.some((v) => v.expected === -1)).toBe(true)
  })

  it.each(vectors.fnv1a32)('fnv1a32($input) = $expected', ({ input, expected }) => {
    expect(fnv1a32(input)).toBe(expected)
  })

  it.each(vectors.hash)('hash($seed, $value, $version) = $expected', ({ seed, value, version, expected }) => {
    expect(hash(seed, value, version)).toBe(expected)
  })

  it.each(vectors.ranges)('bucketRangesFromSplits($splits)', ({ splits, expected }) => {
    expect(bucketRangesFromSplits(splits)).toEqual(expected)
  })

  it.each(vectors.assignment)('$seed / $userId / $splits → $expected', ({ seed, userId, splits, bucket, expected }) => {
    expect(hash(seed, userId, HASH_VERSION)).toBe(bucket)
    expect(variantIndexFor(seed, userId, bucketRangesFromSplits(splits))).toBe(expected)
    expect(assignVariant({ seed, userId, weights: splits.map((s) => s / 100) })).toBe(expected)
  })
})
