import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { conversionColumns, toConversionJob } from '../src/index.js'

const defaults = { metric: 'conversion', value: 1, timestamp: '2025-02-01T00:00:00.000Z' }

describe('toConversionJob', () => {
  it('writes a column all events share as one value, with the defaults for fields left out', () => {
    const job = toConversionJob(
      't1',
      [
        { eventId: 'e1', experimentId: 'x', userId: 'u1' },
        { eventId: 'e2', experimentId: 'x', userId: 'u2', metric: 'conversion', value: 1 },
      ],
      defaults,
    )
    expect(job).toEqual({
      tenantId: 't1',
      eventIds: ['e1', 'e2'],
      userIds: ['u1', 'u2'],
      experimentIds: 'x',
      metrics: 'conversion',
      values: 1,
      timestamps: defaults.timestamp,
    })
  })

  it('writes a column whose values differ per event, in event order', () => {
    const job = toConversionJob(
      't1',
      [
        { eventId: 'e1', experimentId: 'x', userId: 'u1', value: 2.5, timestamp: '2025-01-01T00:00:00Z' },
        { eventId: 'e2', experimentId: 'y', userId: 'u1', metric: 'click' },
      ],
      defaults,
    )
    expect(job).toMatchObject({
      experimentIds: ['x', 'y'],
      metrics: ['conversion', 'click'],
      values: [2.5, 1],
      timestamps: ['2025-01-01T00:00:00Z', defaults.timestamp],
    })
  })

  it('round-trips: the expanded columns are each event with its defaults', () => {
    const field = <T>(values: T[]) => fc.option(fc.constantFrom(...values), { nil: undefined })
    const event = fc.record({
      eventId: fc.string({ minLength: 1, maxLength: 5 }),
      experimentId: fc.constantFrom('x', 'y'),
      userId: fc.string({ minLength: 1, maxLength: 5 }),
      metric: field(['conversion', 'click']),
      value: field([1, 2.5, -3]),
      timestamp: field([defaults.timestamp, '2025-01-01T00:00:00Z']),
    })
    fc.assert(
      fc.property(fc.array(event, { minLength: 1, maxLength: 8 }), (events) => {
        const columns = conversionColumns(JSON.parse(JSON.stringify(toConversionJob('t1', events, defaults))))
        expect(columns).toEqual({
          eventIds: events.map((e) => e.eventId),
          userIds: events.map((e) => e.userId),
          experimentIds: events.map((e) => e.experimentId),
          metrics: events.map((e) => e.metric ?? defaults.metric),
          values: events.map((e) => e.value ?? defaults.value),
          timestamps: events.map((e) => e.timestamp ?? defaults.timestamp),
        })
      }),
      { numRuns: 2000 },
    )
  })
})
