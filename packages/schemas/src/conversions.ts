import { METRIC_PATTERN } from '@experiments/contracts'
import { Type, type Static } from 'typebox'
import { MAX_USER_ID_LENGTH } from './assignments.js'

export const MAX_EVENTS_PER_BATCH = 1000
/** How far in the future an event's timestamp (a conversion's, an exposure's) may lie: clock skew between clients and us. */
export const MAX_FUTURE_SKEW_MS = 5 * 60 * 1000

/**
 * The largest magnitude of an event's value: its square must stay far from float8's overflow in the
 * sum of squares PostgreSQL keeps (an overflow would fail the whole batch after its 202), and
 * integers up to it are exact.
 */
export const MAX_ABS_VALUE = 1e15
export const MAX_ID_LENGTH = 128
export const MAX_TIMESTAMP_LENGTH = 40

/** When a reported event happened: an ISO-8601 date-time, checked beyond its length by timestampChecker (timestamps.ts). */
export const EventTimestamp = Type.String({ minLength: 1, maxLength: MAX_TIMESTAMP_LENGTH, description: 'ISO-8601 date-time, e.g. 2025-02-01T00:00:00Z' })

const eventFields = {
  eventId: Type.String({ minLength: 1, maxLength: MAX_ID_LENGTH }),
  userId: Type.String({ minLength: 1, maxLength: MAX_USER_ID_LENGTH }),
  metric: Type.Optional(Type.String({ pattern: METRIC_PATTERN, description: 'must be 1–64 characters of a-z, 0-9, "_", "." or "-"' })),
  value: Type.Optional(Type.Number({ minimum: -MAX_ABS_VALUE, maximum: MAX_ABS_VALUE })),
  timestamp: Type.Optional(EventTimestamp),
}

export const ConversionEventInput = Type.Object(
  { ...eventFields, experimentId: Type.String({ minLength: 1, maxLength: MAX_ID_LENGTH }) },
  { additionalProperties: false },
)
export const ExperimentConversionEventInput = Type.Object(eventFields, { additionalProperties: false })

export const ConversionBatchBody = Type.Object(
  { events: Type.Array(ConversionEventInput, { minItems: 1, maxItems: MAX_EVENTS_PER_BATCH }) },
  { additionalProperties: false },
)
export type ConversionBatchBody = Static<typeof ConversionBatchBody>

export const ExperimentConversionBatchBody = Type.Object(
  { events: Type.Array(ExperimentConversionEventInput, { minItems: 1, maxItems: MAX_EVENTS_PER_BATCH }) },
  { additionalProperties: false },
)
export type ExperimentConversionBatchBody = Static<typeof ExperimentConversionBatchBody>

export const AcceptedView = Type.Object({ data: Type.Object({ accepted: Type.Integer() }) })
