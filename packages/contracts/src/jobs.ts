import { Type, type Static, type TSchema } from 'typebox'
import { METRIC_PATTERN } from './experiment.js'

// The fields of a conversion event, as a job carries them.
const EventId = Type.String({ minLength: 1, maxLength: 128 })
const Id = Type.String({ minLength: 1 })
const Metric = Type.String({ pattern: METRIC_PATTERN })
/** ISO-8601, checked by the gateway. */
const Timestamp = Type.String()

/** A column of a conversions job: one value that every event shares, or one value per event in event order. */
const Column = <T extends TSchema>(item: T) => Type.Union([item, Type.Array(item)])

/**
 * A `conversions` job: one accepted request batch, validated, defaults applied, column by column.
 * Columns, with a single value where all events share it, keep the JSON that the gateway writes,
 * Redis stores and the worker reads much smaller than one object per event: a batch's events
 * usually share their experiment, metric and timestamp.
 */
export const ConversionJob = Type.Object({
  tenantId: Id,
  eventIds: Type.Array(EventId, { minItems: 1 }),
  userIds: Type.Array(Id),
  experimentIds: Column(Id),
  metrics: Column(Metric),
  values: Column(Type.Number()),
  timestamps: Column(Timestamp),
})
export type ConversionJob = Static<typeof ConversionJob>

/** A job's events as full columns, one value per event in every one. */
export type ConversionColumns = {
  eventIds: string[]
  userIds: string[]
  experimentIds: string[]
  metrics: string[]
  values: number[]
  timestamps: string[]
}

type EventFields = {
  eventId: string
  experimentId: string
  userId: string
  metric?: string | undefined
  value?: number | undefined
  timestamp?: string | undefined
}

/**
 * The job for a validated batch of at least one event, with `defaults` for the fields an event
 * leaves out. One pass over the events; a column all of whose events share one value is written as
 * that value, and only a column whose values differ is collected per event.
 */
export const toConversionJob = (tenantId: string, events: EventFields[], defaults: { metric: string; value: number; timestamp: string }): ConversionJob => {
  const metricOf = (event: EventFields) => event.metric ?? defaults.metric
  const valueOfEvent = (event: EventFields) => event.value ?? defaults.value
  const timestampOf = (event: EventFields) => event.timestamp ?? defaults.timestamp
  const first = events[0]!
  const experimentId = first.experimentId
  const metric = metricOf(first)
  const value = valueOfEvent(first)
  const timestamp = timestampOf(first)
  let sameExperiment = true
  let sameMetric = true
  let sameValue = true
  let sameTimestamp = true
  const eventIds: string[] = []
  const userIds: string[] = []
  for (const event of events) {
    eventIds.push(event.eventId)
    userIds.push(event.userId)
    sameExperiment &&= event.experimentId === experimentId
    sameMetric &&= metricOf(event) === metric
    sameValue &&= valueOfEvent(event) === value
    sameTimestamp &&= timestampOf(event) === timestamp
  }
  return {
    tenantId,
    eventIds,
    userIds,
    experimentIds: sameExperiment ? experimentId : events.map((event) => event.experimentId),
    metrics: sameMetric ? metric : events.map(metricOf),
    values: sameValue ? value : events.map(valueOfEvent),
    timestamps: sameTimestamp ? timestamp : events.map(timestampOf),
  }
}

/** The job's columns expanded to one value per event, or a message naming the column whose length does not match. */
export const conversionColumns = (job: ConversionJob): ConversionColumns | { mismatch: string } => {
  const count = job.eventIds.length
  const full = <T>(name: string, column: T | T[]): T[] | string =>
    !Array.isArray(column) ? new Array<T>(count).fill(column) : column.length === count ? column : `${name} holds ${column.length} values for ${count} events`
  const columns = {
    userIds: full('userIds', job.userIds),
    experimentIds: full('experimentIds', job.experimentIds),
    metrics: full('metrics', job.metrics),
    values: full('values', job.values),
    timestamps: full('timestamps', job.timestamps),
  }
  const mismatch = Object.values(columns).find((c): c is string => typeof c === 'string')
  return mismatch ? { mismatch } : ({ eventIds: job.eventIds, ...columns } as ConversionColumns)
}

/** A `compute-results` job. */
export const ComputeJob = Type.Object({
  tenantId: Id,
  experimentId: Id,
  metric: Type.String(),
  confidenceLevel: Type.Number(),
  controlVariantId: Type.Union([Type.String(), Type.Null()]),
})
export type ComputeJob = Static<typeof ComputeJob>
