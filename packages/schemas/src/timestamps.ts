import { MAX_FUTURE_SKEW_MS } from './conversions.js'
import { isStorableDateTime } from './date-times.js'

/** The form toISOString() writes ("2025-02-01T00:00:00.000Z"), years from 1, every field in range but days up to 31. */
const CANONICAL_UTC = /^(?!0000)\d{4}-(?:0[1-9]|1[0-2])-(?:0[1-9]|[12]\d|3[01])T(?:[01]\d|2[0-3]):[0-5]\d:[0-5]\d\.\d{3}Z$/
const ZERO = 48 // '0'

export type TimestampProblem = 'not-a-date-time' | 'in-the-future'

/** What a batch's 400 says of an event's timestamp with that problem (conversions, exposures). */
export const TIMESTAMP_PROBLEM_MESSAGES: Record<TimestampProblem, string> = {
  'not-a-date-time': 'timestamp must be an ISO-8601 date-time that exists, such as 2025-02-01T00:00:00Z or 2025-02-01T01:00:00+01:00 (offsets up to ±15:59)',
  'in-the-future': 'timestamp is more than 5 minutes in the future',
}

/**
 * Checks the timestamps of events received at `receivedAt` (epoch ms): each must be a date-time
 * PostgreSQL stores as the instant it names (isStorableDateTime), at most MAX_FUTURE_SKEW_MS later.
 * The form toISOString() writes, what SDKs send, is checked by one regular expression and compared
 * as text (such strings sort in time order): taking every event's timestamp apart and parsing it
 * would cost more than all the other checks of a batch together. Other forms are taken apart.
 */
export const timestampChecker = (receivedAt: number) => {
  const latest = receivedAt + MAX_FUTURE_SKEW_MS
  const latestText = new Date(latest).toISOString()
  // Past year 9999 toISOString() writes "+010000-…", which does not sort with four-digit years.
  const compareAsText = latestText.length === 24
  return (text: string): TimestampProblem | undefined => {
    if (compareAsText && CANONICAL_UTC.test(text)) {
      // Only days 29–31 depend on their month (and year); reading the digits allocates nothing.
      const day = (text.charCodeAt(8) - ZERO) * 10 + text.charCodeAt(9) - ZERO
      if (day > 28 && !isStorableDateTime(text)) return 'not-a-date-time'
      return text > latestText ? 'in-the-future' : undefined
    }
    if (!isStorableDateTime(text)) return 'not-a-date-time'
    return Date.parse(text) > latest ? 'in-the-future' : undefined
  }
}
