import { Type, type Static } from 'typebox'

/** One conversion event as the worker receives it: validated, defaults applied, timestamp fixed. */
export const ConversionEvent = Type.Object({
  eventId: Type.String({ minLength: 1, maxLength: 128 }),
  experimentId: Type.String({ minLength: 1 }),
  userId: Type.String({ minLength: 1 }),
  metric: Type.String({ pattern: '^[a-z0-9_.-]{1,64}$' }),
  value: Type.Number(),
  /** ISO-8601. */
  timestamp: Type.String(),
})
export type ConversionEvent = Static<typeof ConversionEvent>

/** A `conversions` job: one accepted request batch. */
export const ConversionJob = Type.Object({
  tenantId: Type.String({ minLength: 1 }),
  events: Type.Array(ConversionEvent, { minItems: 1 }),
})
export type ConversionJob = Static<typeof ConversionJob>

/** A `compute-results` job. */
export const ComputeJob = Type.Object({
  tenantId: Type.String({ minLength: 1 }),
  experimentId: Type.String({ minLength: 1 }),
  metric: Type.String(),
  confidenceLevel: Type.Number(),
  controlVariantId: Type.Union([Type.String(), Type.Null()]),
})
export type ComputeJob = Static<typeof ComputeJob>

/** Redis counter of conversion events accepted but not yet stored; ingestion answers 429 above a limit. */
export const CONVERSION_BACKLOG_KEY = '{bull}:conversions:backlog-events'
