import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { timestampTexts } from '../../../test-support/timestamps.js'
import { MAX_FUTURE_SKEW_MS, timestampChecker } from '../src/index.js'

// The rule written another way: take the fields apart, let Date.UTC say whether they name
// themselves (30 February comes back as 2 March), bound the offset as PostgreSQL does.
const FORM = /^(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(\.\d+)?(?:[Zz]|[+-](\d{2}):(\d{2}))$/
const expected = (text: string, receivedAt: number) => {
  const f = FORM.exec(text)
  if (!f) return 'not-a-date-time'
  const [y, mo, d, h, mi, s] = f.slice(1, 7).map(Number) as [number, number, number, number, number, number]
  const utc = new Date(0)
  utc.setUTCFullYear(y, mo - 1, d)
  utc.setUTCHours(h, mi, s)
  const selfNamed = utc.getUTCFullYear() === y && utc.getUTCMonth() === mo - 1 && utc.getUTCDate() === d && utc.getUTCHours() === h && utc.getUTCMinutes() === mi && utc.getUTCSeconds() === s
  if (!selfNamed || y === 0 || Number(f[8] ?? 0) > 15 || Number(f[9] ?? 0) > 59) return 'not-a-date-time'
  return Date.parse(text) > receivedAt + MAX_FUTURE_SKEW_MS ? 'in-the-future' : undefined
}

describe('timestampChecker', () => {
  it('decides as taking the fields apart and comparing instants does, for any text and receipt time', () => {
    fc.assert(
      fc.property(timestampTexts, fc.integer({ min: -2 * MAX_FUTURE_SKEW_MS, max: 2 * MAX_FUTURE_SKEW_MS }), fc.constantFrom(-1, 0, 1), (text, offset, nudge) => {
        const at = Date.parse(text)
        // Receipt times around the instant, down to the millisecond at the 5-minute edge.
        const receivedAt = Number.isNaN(at) ? Date.now() + offset : at - MAX_FUTURE_SKEW_MS + (offset % 3 === 0 ? nudge : offset)
        expect(timestampChecker(receivedAt)(text)).toBe(expected(text, receivedAt))
      }),
      { numRuns: 50_000 },
    )
  })

  it('gives each text of a batch its own verdict, repeated texts included', () => {
    fc.assert(
      fc.property(fc.array(fc.oneof(timestampTexts, fc.constant('2026-02-29T00:00:00.000Z'), fc.constant('2026-03-01T00:00:00.000Z')), { minLength: 1, maxLength: 8 }), fc.array(fc.nat(7), { maxLength: 8 }), (texts, repeats) => {
        // Runs of equal texts, as a batch stamped at once sends them, and changes between them.
        const batch = texts.flatMap((text, i) => new Array<string>(1 + ((repeats[i] ?? 0) % 3)).fill(text))
        const receivedAt = Date.parse('2026-03-01T00:00:00.000Z')
        const check = timestampChecker(receivedAt)
        expect(batch.map((text) => check(text))).toEqual(batch.map((text) => expected(text, receivedAt)))
      }),
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

  it.each([
    ['a 29 February outside leap years', '2026-02-29T00:00:00.000Z'],
    ['31 April', '2025-04-31T10:00:00Z'],
    ['hour 24', '2025-01-01T24:00:00Z'],
    ['a leap second', '2025-01-01T23:59:60Z'],
    ['an offset of 16 hours', '2025-01-01T00:00:00+16:00'],
    ['year 0', '0000-01-01T00:00:00.000Z'],
    ['no time zone', '2025-01-01T00:00:00'],
    ['words', 'yesterday'],
  ])('refuses %s', (_case, text) => {
    expect(timestampChecker(Date.parse('2026-03-01T00:00:00Z'))(text)).toBe('not-a-date-time')
  })
})
