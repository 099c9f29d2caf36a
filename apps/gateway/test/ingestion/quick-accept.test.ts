import AjvCompiler from '@fastify/ajv-compiler'
import { AJV_OPTIONS } from '@experiments/http'
import { ConversionBatchBody, ExperimentConversionBatchBody } from '@experiments/schemas'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { batchValidator } from '../../src/ingestion/batch-validator.js'
import { quickAcceptsConversionBatch } from '../../src/ingestion/quick-accept.js'

// The conversion routes accept a batch by plain code when it can, and ask the schema (Ajv, as on
// every route) otherwise, item by item: the plain code must never accept what the schema rejects,
// and the item-by-item validation must say what Ajv says of the whole body.
type Validator = { (body: unknown): boolean; errors?: { instancePath: string; keyword: string; params: object }[] | null }
const route = (schema: object) => ({ schema, method: 'POST', url: '/api/conversions', httpPart: 'body' }) as const
const schemaOnly = (schema: object) => AjvCompiler()({}, AJV_OPTIONS)(route(schema)) as Validator
const itemByItem = (schema: object) => batchValidator({ itemsKey: 'events', quickAccept: () => false })(route(schema)) as Validator
const problems = (validator: Validator) => (validator.errors ?? []).map((e) => `${e.instancePath} ${e.keyword} ${JSON.stringify(e.params)}`).sort()

const routes = [
  { name: 'POST /api/conversions', schema: ConversionBatchBody, withExperimentId: true },
  { name: 'POST /api/experiments/:id/conversions', schema: ExperimentConversionBatchBody, withExperimentId: false },
]

// Mostly valid fields, sometimes a string around a limit (in ASCII and in astral characters: two
// UTF-16 code units, one character), sometimes a value of another type or a missing field.
const mostly = <T>(valid: fc.Arbitrary<T>, ...others: fc.Arbitrary<unknown>[]) =>
  fc.oneof({ arbitrary: valid, weight: 12 }, ...others.map((arbitrary) => ({ arbitrary, weight: 1 })))
const nearLimit = (limit: number) =>
  fc.oneof(
    fc.constantFrom('', 'x'.repeat(limit), 'x'.repeat(limit + 1), '😀'.repeat(limit / 2), '😀'.repeat(limit), '😀'.repeat(limit + 1)),
    fc.string({ unit: 'grapheme', maxLength: limit + 2 }),
  )
const otherType = fc.oneof(
  fc.constant(undefined),
  fc.constant(null),
  fc.integer(),
  fc.boolean(),
  fc.array(fc.string(), { maxLength: 2 }),
  fc.object({ maxDepth: 1 }),
)
const id = (limit: number) => mostly(fc.string({ minLength: 1, maxLength: 40 }), nearLimit(limit), otherType)
const rarely = (fields: fc.Arbitrary<object>) => fc.oneof({ arbitrary: fc.constant({}), weight: 12 }, { arbitrary: fields, weight: 1 })
const usually = (fields: fc.Arbitrary<object>) => fc.oneof({ arbitrary: fields, weight: 12 }, { arbitrary: fc.constant({}), weight: 1 })
const eventFor = (withExperimentId: boolean) =>
  fc
    .tuple(
      fc.record(
        {
          eventId: id(128),
          userId: id(256),
          metric: mostly(fc.stringMatching(/^[a-z0-9_.-]{1,64}$/), fc.constantFrom('Purchase', 'm'.repeat(65), '', 'a b'), otherType),
          value: mostly(
            fc.oneof(fc.double({ min: -1e15, max: 1e15, noNaN: true }), fc.integer()),
            fc.double(),
            fc.constantFrom(1e15, -1e15, 1e15 + 0.5, -1e15 - 0.5, 1e200, Number.NaN, Infinity),
            otherType,
            fc.string(),
          ),
          timestamp: mostly(fc.constantFrom('2025-02-01T00:00:00Z', '2025-02-01T00:00:00.000+01:00'), nearLimit(40), otherType),
        },
        { requiredKeys: ['eventId', 'userId'] },
      ),
      withExperimentId ? usually(fc.record({ experimentId: id(128) })) : rarely(fc.record({ experimentId: id(128) })),
      rarely(fc.record({ extra: otherType })),
    )
    .map(([fields, experiment, extra]) => ({ ...fields, ...experiment, ...extra }))
const bodyFor = (withExperimentId: boolean) =>
  fc.oneof(
    { arbitrary: fc.record({ events: fc.array(eventFor(withExperimentId), { minLength: 1, maxLength: 3 }) }), weight: 12 },
    fc.record({ events: fc.array(eventFor(withExperimentId), { maxLength: 2 }), other: otherType }),
    fc.record({ events: otherType }),
    fc.anything(),
  )
const plainEvent = (i: number) => ({
  eventId: `e-${i}`,
  experimentId: 'exp_1',
  userId: `u-${i}`,
  metric: 'purchase',
  value: i / 10,
  timestamp: '2025-02-01T00:00:00.000Z',
})
const plainBatch = (n: number, withExperimentId: boolean) => ({
  events: Array.from({ length: n }, (_, i) => {
    const { experimentId, ...rest } = plainEvent(i)
    return withExperimentId ? { experimentId, ...rest } : rest
  }),
})

describe.each(routes)('quick acceptance of $name', ({ schema, withExperimentId }) => {
  const schemaAccepts = schemaOnly(schema)

  it('never accepts a body the schema rejects', () => {
    let quicklyAccepted = 0
    fc.assert(
      fc.property(bodyFor(withExperimentId), (candidate) => {
        if (!quickAcceptsConversionBatch(candidate, withExperimentId)) return true
        quicklyAccepted++
        return schemaAccepts(candidate)
      }),
      { numRuns: 20_000 },
    )
    // The generator reaches the accepting side too, so the property is not vacuous.
    expect(quicklyAccepted).toBeGreaterThan(100)
  })

  it('validated item by item, gives the verdict and the problems Ajv gives for the whole body', () => {
    const whole = schemaOnly(schema)
    const byItem = itemByItem(schema)
    let rejected = 0
    fc.assert(
      fc.property(bodyFor(withExperimentId), (candidate) => {
        const verdict = whole(candidate)
        expect(byItem(candidate)).toBe(verdict)
        if (!verdict) rejected++
        expect(problems(byItem)).toEqual(problems(whole))
      }),
      { numRuns: 5_000 },
    )
    expect(rejected).toBeGreaterThan(500)
  })

  it('lists the problems of the first items only, then counts the invalid items left', () => {
    const byItem = itemByItem(schema)
    const events = new Array(340_000).fill({})
    expect(byItem({ events })).toBe(false)
    const listed = byItem.errors!.filter((e) => e.keyword !== 'moreInvalidItems')
    const more = byItem.errors!.find((e) => e.keyword === 'moreInvalidItems')
    // maxItems for the array, then two or three required fields per empty event until 100 are listed.
    expect(listed.length).toBeGreaterThanOrEqual(100)
    expect(listed.length).toBeLessThan(110)
    const listedItems = new Set(listed.flatMap((e) => /^\/events\/(\d+)/.exec(e.instancePath)?.[1] ?? []))
    expect(more?.params).toEqual({ count: 340_000 - listedItems.size })
  })

  it('accepts the usual valid batch, 1 to 1000 events, without the schema', () => {
    for (const n of [1, 100, 1000]) expect(quickAcceptsConversionBatch(plainBatch(n, withExperimentId), withExperimentId)).toBe(true)
  })

  it('checks the metric of every event', () => {
    const withMetrics = (...metrics: string[]) => ({
      events: metrics.map((metric, i) => ({ ...plainBatch(metrics.length, withExperimentId).events[i], metric })),
    })
    expect(quickAcceptsConversionBatch(withMetrics('purchase', 'purchase', 'signup', 'purchase'), withExperimentId)).toBe(true)
    expect(quickAcceptsConversionBatch(withMetrics('purchase', 'purchase', 'Purchase'), withExperimentId)).toBe(false)
    expect(quickAcceptsConversionBatch(withMetrics('purchase', 'a b', 'purchase'), withExperimentId)).toBe(false)
  })

  it('leaves batches past the limits to the schema', () => {
    expect(quickAcceptsConversionBatch(plainBatch(0, withExperimentId), withExperimentId)).toBe(false)
    expect(quickAcceptsConversionBatch(plainBatch(1001, withExperimentId), withExperimentId)).toBe(false)
    // 128 emoji are 128 characters (valid) but 256 code units: the schema decides.
    const emoji = { events: [{ ...plainBatch(1, withExperimentId).events[0], eventId: '😀'.repeat(128) }] }
    expect(quickAcceptsConversionBatch(emoji, withExperimentId)).toBe(false)
    expect(schemaAccepts(emoji)).toBe(true)
  })
})
