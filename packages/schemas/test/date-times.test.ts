import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { storableByFields, timestampTexts, unstorableDateTimes } from '../../../test-support/timestamps.js'
import { isStorableDateTime } from '../src/index.js'

describe('isStorableDateTime', () => {
  it('decides as taking the fields apart does, for any text', () => {
    fc.assert(
      fc.property(timestampTexts, (text) => {
        expect(isStorableDateTime(text)).toBe(storableByFields(text))
      }),
      { numRuns: 50_000 },
    )
  })

  it('accepts real instants in any RFC 3339 form', () => {
    for (const text of ['2024-02-29T00:00:00.000Z', '2026-03-01T01:05:00+01:00', '2026-03-01t00:00:00.123456z', '2025-01-01T00:00:00-15:59']) {
      expect(isStorableDateTime(text)).toBe(true)
    }
  })

  it.each(unstorableDateTimes)('refuses %s', (_case, text) => {
    expect(isStorableDateTime(text)).toBe(false)
  })

  it('refuses texts longer than 40 characters', () => {
    expect(isStorableDateTime(`2025-01-01T00:00:00.${'0'.repeat(20)}Z`)).toBe(false)
  })
})
