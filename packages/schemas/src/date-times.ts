import { MAX_FUTURE_SKEW_MS, MAX_TIMESTAMP_LENGTH } from './conversions.js'
import { rememberingLastAnswer } from './last-answer.js'

/** An RFC 3339 date-time (the ISO-8601 profile): date, time, optional fraction, Z or an offset. */
const DATE_TIME = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.\d+)?(?:Z|[+-](\d{2}):(\d{2}))$/i
/** The form toISOString() writes ("2025-02-01T00:00:00.000Z"), years from 1, every field in range but days up to 31. */
const CANONICAL_UTC = /^(?!0000)\d{4}-(?:0[1-9]|1[0-2])-(?:0[1-9]|[12]\d|3[01])T(?:[01]\d|2[0-3]):[0-5]\d:[0-5]\d\.\d{3}Z$/
const ZERO = 48 // '0'
const DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31]
/** PostgreSQL, which stores the timestamps as sent, refuses larger UTC offsets (and year 0). */
const MAX_OFFSET_HOURS = 15

/** Whether the month has that day: JavaScript would roll 30 February over into March, PostgreSQL refuses it. */
const dayExists = (year: number, month: number, day: number) => {
  if (day <= 28) return true
  const leap = month === 2 && year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0)
  return day <= DAYS_IN_MONTH[month - 1]! + (leap ? 1 : 0)
}

/** Whether a date-time in any RFC 3339 form has every field in range. */
const fieldsInRange = (text: string) => {
  const fields = DATE_TIME.exec(text)?.slice(1).map((field) => Number(field ?? 0))
  if (!fields) return false
  const [year, month, day, hour, minute, second, offsetHours, offsetMinutes] = fields as [number, number, number, number, number, number, number, number]
  return (
    year >= 1 &&
    month >= 1 &&
    month <= 12 &&
    day >= 1 &&
    dayExists(year, month, day) &&
    hour <= 23 &&
    minute <= 59 &&
    second <= 59 &&
    offsetHours <= MAX_OFFSET_HOURS &&
    offsetMinutes <= 59
  )
}

/** Whether `text` is an RFC 3339 date-time with every field in range: one PostgreSQL stores as the instant it names. */
export const isStorableDateTime = (text: string) => text.length <= MAX_TIMESTAMP_LENGTH && fieldsInRange(text)

export type TimestampProblem = 'not-a-date-time' | 'in-the-future'

/**
 * Checks the timestamps of events received at `receivedAt` (epoch ms): each must be an RFC 3339
 * date-time with every field in range (no 30 February, no hour 24, an offset PostgreSQL accepts),
 * at most MAX_FUTURE_SKEW_MS later. The form toISOString() writes, what SDKs send, is checked by
 * one regular expression and compared as text (such strings sort in time order); other forms are
 * taken apart and parsed.
 */
export const timestampChecker = (receivedAt: number) => {
  const latest = receivedAt + MAX_FUTURE_SKEW_MS
  const latestText = new Date(latest).toISOString()
  // Past year 9999 toISOString() writes "+010000-…", which does not sort with four-digit years.
  const compareAsText = latestText.length === 24
  const check = (text: string): TimestampProblem | undefined => {
    if (compareAsText && CANONICAL_UTC.test(text)) {
      // Days 29–31 only need their month: reading the digits allocates nothing.
      const day = (text.charCodeAt(8) - ZERO) * 10 + text.charCodeAt(9) - ZERO
      if (day > 28 && !dayExists(Number(text.slice(0, 4)), Number(text.slice(5, 7)), day)) return 'not-a-date-time'
      return text > latestText ? 'in-the-future' : undefined
    }
    if (!isStorableDateTime(text)) return 'not-a-date-time'
    return Date.parse(text) > latest ? 'in-the-future' : undefined
  }
  return rememberingLastAnswer(check)
}
