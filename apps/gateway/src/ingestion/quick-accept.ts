import { METRIC_PATTERN } from '@experiments/contracts'
import { MAX_ABS_VALUE, MAX_EVENTS_PER_BATCH, MAX_ID_LENGTH, MAX_TIMESTAMP_LENGTH, MAX_USER_ID_LENGTH } from '@experiments/schemas'

const METRIC = new RegExp(METRIC_PATTERN)

/**
 * A string of 1 to `max` UTF-16 code units: it then also has 1 to `max` code points, which is what
 * the schema's lengths count. Longer strings may still be valid (astral characters count once).
 */
const shortString = (value: unknown, max: number) => typeof value === 'string' && value.length >= 1 && value.length <= max

const plainEvent = (event: unknown, withExperimentId: boolean): boolean => {
  if (typeof event !== 'object' || event === null || Array.isArray(event)) return false
  const fields = event as Record<string, unknown>
  for (const key in fields) {
    if (key === 'experimentId' ? !withExperimentId : key !== 'eventId' && key !== 'userId' && key !== 'metric' && key !== 'value' && key !== 'timestamp') {
      return false
    }
  }
  const { metric, value, timestamp } = fields
  return (
    shortString(fields.eventId, MAX_ID_LENGTH) &&
    shortString(fields.userId, MAX_USER_ID_LENGTH) &&
    (!withExperimentId || shortString(fields.experimentId, MAX_ID_LENGTH)) &&
    (metric === undefined || (typeof metric === 'string' && METRIC.test(metric))) &&
    (value === undefined || (typeof value === 'number' && value >= -MAX_ABS_VALUE && value <= MAX_ABS_VALUE)) &&
    (timestamp === undefined || shortString(timestamp, MAX_TIMESTAMP_LENGTH))
  )
}

/**
 * Whether `body` is a conversion batch the schema accepts, by plain code: Ajv spends most of a
 * 100-event batch counting code points, which strings no longer than their limit in UTF-16 code
 * units need not. `false` means "ask the schema", not "invalid". `withExperimentId`: events name
 * their experiment (POST /api/conversions) rather than the path (…/experiments/:id/conversions).
 */
export const quickAcceptsConversionBatch = (body: unknown, withExperimentId: boolean): boolean => {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return false
  for (const key in body) if (key !== 'events') return false
  const { events } = body as { events?: unknown }
  if (!Array.isArray(events) || events.length < 1 || events.length > MAX_EVENTS_PER_BATCH) return false
  for (const event of events) if (!plainEvent(event, withExperimentId)) return false
  return true
}
