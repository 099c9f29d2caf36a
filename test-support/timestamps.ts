import fc from 'fast-check'

const pad = (n: number, width: number) => String(n).padStart(width, '0')
// Date-times field by field, each field sometimes out of range, in the form toISOString() writes or another RFC 3339 form.
const fieldByField = fc
  .record({
    year: fc.oneof(fc.integer({ min: 0, max: 9999 }), fc.constantFrom(0, 1, 1900, 2000, 2024, 2100)),
    month: fc.integer({ min: 0, max: 13 }),
    day: fc.oneof(fc.integer({ min: 0, max: 32 }), fc.integer({ min: 28, max: 31 })),
    hour: fc.integer({ min: 0, max: 25 }),
    minute: fc.integer({ min: 0, max: 60 }),
    second: fc.integer({ min: 0, max: 61 }),
    fraction: fc.constantFrom('.000', '.123', '.5', '', '.123456', '.'),
    zone: fc.constantFrom('Z', 'Z', 'z', '+01:00', '-15:59', '+16:00', '-05:60', ''),
    t: fc.constantFrom('T', 'T', 't', ' '),
  })
  .map((f) => `${pad(f.year, 4)}-${pad(f.month, 2)}-${pad(f.day, 2)}${f.t}${pad(f.hour, 2)}:${pad(f.minute, 2)}:${pad(f.second, 2)}${f.fraction}${f.zone}`)
const asWritten = fc.date({ min: new Date('0001-01-01T00:00:00Z'), max: new Date('9999-12-31T23:59:59.999Z'), noInvalidDate: true }).map((d) => d.toISOString())
/** Texts for the event timestamp rule's tests: mostly date-times near or past the edges of each field. */
export const timestampTexts = fc.oneof(asWritten, fieldByField, fc.string({ maxLength: 30 }))

const FORM = /^(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(\.\d+)?(?:[Zz]|[+-](\d{2}):(\d{2}))$/
/**
 * The storable date-time rule written another way, for the tests of its implementations: take the
 * fields apart, let Date.UTC say whether they name themselves (30 February comes back as 2 March),
 * bound the offset as PostgreSQL does.
 */
export const storableByFields = (text: string): boolean => {
  const f = FORM.exec(text)
  if (!f) return false
  const [y, mo, d, h, mi, s] = f.slice(1, 7).map(Number) as [number, number, number, number, number, number]
  const utc = new Date(0)
  utc.setUTCFullYear(y, mo - 1, d)
  utc.setUTCHours(h, mi, s)
  const selfNamed =
    utc.getUTCFullYear() === y &&
    utc.getUTCMonth() === mo - 1 &&
    utc.getUTCDate() === d &&
    utc.getUTCHours() === h &&
    utc.getUTCMinutes() === mi &&
    utc.getUTCSeconds() === s
  return selfNamed && y !== 0 && Number(f[8] ?? 0) <= 15 && Number(f[9] ?? 0) <= 59
}

/** Date-times that are not storable, by what is wrong with them. */
export const unstorableDateTimes: [string, string][] = [
  ['a 29 February outside leap years', '2026-02-29T00:00:00.000Z'],
  ['31 April', '2025-04-31T10:00:00Z'],
  ['hour 24', '2025-01-01T24:00:00Z'],
  ['a leap second', '2025-01-01T23:59:60Z'],
  ['an offset of 16 hours', '2025-01-01T00:00:00+16:00'],
  ['year 0', '0000-01-01T00:00:00.000Z'],
  ['no time zone', '2025-01-01T00:00:00'],
  ['words', 'yesterday'],
]
