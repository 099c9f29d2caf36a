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
