import { MAX_TIMESTAMP_LENGTH } from './conversions.js'

/** An RFC 3339 date-time (the ISO-8601 profile): date, time, optional fraction, Z or an offset. */
const DATE_TIME = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.\d+)?(?:Z|[+-](\d{2}):(\d{2}))$/i
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
  const fields = DATE_TIME.exec(text)
    ?.slice(1)
    .map((field) => Number(field ?? 0))
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

/**
 * Whether `text` is an RFC 3339 date-time with every field in range: one PostgreSQL stores as the
 * instant it names. The rule of an experiment's endDate and of a conversion event's timestamp.
 */
export const isStorableDateTime = (text: string) => text.length <= MAX_TIMESTAMP_LENGTH && fieldsInRange(text)
