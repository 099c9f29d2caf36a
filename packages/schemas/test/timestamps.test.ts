import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { storableByFields, timestampTexts, unstorableDateTimes } from '../../../test-support/timestamps.js'
import { MAX_FUTURE_SKEW_MS, timestampChecker } from '../src/index.js'

// The rule written another way: a storable date-time, its instant compared with the receipt time.
const expected = (text: string, receivedAt: number) => {
  if (!storableByFields(text)) return 'not-a-date-time'
  return Date.parse(text) > receivedAt + MAX_FUTURE_SKEW_MS ? 'in-the-future' : undefined
}

describe('timestampChecker', () => {
  it('decides as taking the fields apart and comparing instants does, for any text and receipt time', () => {
    fc.assert(
      fc.property(
        timestampTexts,
        fc.integer({ min: -2 * MAX_FUTURE_SKEW_MS, max: 2 * MAX_FUTURE_SKEW_MS }),
        fc.constantFrom(-1, 0, 1),
        (text, offset, nudge) => {
          const at = Date.parse(text)
          // Receipt times around the instant, down to the millisecond at the 5-minute edge.
          const receivedAt = Number.isNaN(at) ? Date.now() + offset : at - MAX_FUTURE_SKEW_MS + (offset % 3 === 0 ? nudge : offset)
          expect(timestampChecker(receivedAt)(text)).toBe(expected(text, receivedAt))
        },
      ),
      { numRuns: 50_000 },
    )
  })

  it('gives each text of a batch its own verdict, repeated texts included', () => {
    fc.assert(
      fc.property(
        fc.array(fc.oneof(timestampTexts, fc.constant('2026-02-29T00:00:00.000Z'), fc.constant('2026-03-01T00:00:00.000Z')), { minLength: 1, maxLength: 8 }),
        fc.array(fc.nat(7), { maxLength: 8 }),
        (texts, repeats) => {
          // Runs of equal texts, as a batch stamped at once sends them, and changes between them.
          const batch = texts.flatMap((text, i) => new Array<string>(1 + ((repeats[i] ?? 0) % 3)).fill(text))
          const receivedAt = Date.parse('2026-03-01T00:00:00.000Z')
          const check = timestampChecker(receivedAt)
          expect(batch.map((text) => check(text))).toEqual(batch.map((text) => expected(text, receivedAt)))
        },
      ),
      { numRuns: 5_000 },
    )
  })

  it('accepts real instants up to 5 minutes ahead, in any RFC 3339 form', () => {
    const check = timestampChecker(Date.parse('2026-03-01T00:00:00.000Z'))
    expect(check('2026-03-01T00:05:00.000Z')).toBeUndefined()
    expect(check('2026-03-01T00:05:00.001Z')).toBe('in-the-future')
    expect(check('2024-02-29T00:00:00.000Z')).toBeUndefined()
    expect(check('2026-03-01T01:05:00+01:00')).toBeUndefined()
    expect(check('2026-03-01t00:00:00.123456z')).toBeUndefined()
  })

  it.each(unstorableDateTimes)('refuses %s', (_case, text) => {
    expect(timestampChecker(Date.parse('2026-03-01T00:00:00Z'))(text)).toBe('not-a-date-time')
  })
})
