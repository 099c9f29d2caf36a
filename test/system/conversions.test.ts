import { QUEUE, QUEUE_PREFIX } from '@experiments/contracts'
import { analyzeExperiment } from '@experiments/stats'
import { Queue } from 'bullmq'
import type { DB } from '@experiments/db'
import type { RedisClient } from '@experiments/redis'
import { sql, type Kysely } from 'kysely'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { aTenant, bearer } from '../../test-support/tokens.js'
import {
  analytics,
  assign,
  callGateway,
  connect,
  connectDb,
  eventually,
  events,
  inParallel,
  runningExperiment,
  sendConversions,
  startAnalyticsWorkers,
  startGateway,
  startReplica,
  type Replica,
} from './system.js'

let db: Kysely<DB>
let redis: RedisClient
let gateway: Awaited<ReturnType<typeof startGateway>>
let replica: Replica
let workers: Awaited<ReturnType<typeof startAnalyticsWorkers>>
const tenant = aTenant()

beforeAll(async () => {
  db = connectDb()
  redis = await connect()
  gateway = await startGateway(db, redis)
  replica = await startReplica()
  workers = await startAnalyticsWorkers(db, redis, { sweepEveryMs: 500 })
})
afterAll(async () => {
  await workers.close()
  await replica.close()
  await gateway.close()
  await db.destroy()
  redis.disconnect()
})

const api = (method: 'GET' | 'POST', url: string, payload?: object) => callGateway(gateway, tenant, method, url, payload)
const stored = async (eventIds: string[]) =>
  (await db.selectFrom('conversions').select('event_id').where('tenant_id', '=', tenant).where('event_id', 'in', eventIds).execute()).length

/** Assigns `users` through the assignment service and drains them into PostgreSQL. */
const enroll = async (experimentId: string, users: string[]) => {
  const answers = await inParallel(users, 50, (u) => assign(replica, tenant, experimentId, u))
  await analytics(db, redis).drain.drainFully(experimentId)
  return new Map(answers.map((a) => [a.userId, a.variant!.id]))
}

describe('conversions through the system', () => {
  it('reproduces the seed example: 250 users per variant, 45 and 67 converters → 0.18 and 0.268', async () => {
    const experiment = await runningExperiment(gateway, tenant, [50, 50])
    const users = Array.from({ length: 2000 }, (_, i) => `seed-${i}`)
    const variantOf = await enroll(experiment.id, users)
    const [control, treatment] = experiment.variants.map((v) => users.filter((u) => variantOf.get(u) === v.id))
    const take = (list: string[] | undefined, n: number) => list!.slice(0, n)
    // 250 users per arm: drop the rest of the assignments so the sample sizes match the seed.
    const keep = [...take(control, 250), ...take(treatment, 250)]
    await db.deleteFrom('assignments').where('experiment_id', '=', experiment.id).where('user_id', 'not in', keep).execute()
    await db.updateTable('variant_participants').set({ participants: 250 }).where('experiment_id', '=', experiment.id).execute()

    const converting = [...take(control, 45), ...take(treatment, 67)]
    const sent = events(experiment.id, converting)
    expect((await sendConversions(gateway, tenant, sent)).status).toBe(202)
    await eventually(async () => (await stored(sent.map((e) => e.eventId))) === sent.length, 10_000, 'conversions stored')

    const { status, body } = await api('POST', `/api/experiments/${experiment.id}/compute-results`, {})
    expect(status).toBe(200)
    const [c, t] = body.data.variants
    expect(c).toMatchObject({ variantId: experiment.variants[0]!.id, sampleSize: 250, conversions: 45, conversionRate: 0.18, isControl: true })
    expect(t).toMatchObject({ variantId: experiment.variants[1]!.id, sampleSize: 250, conversions: 67, conversionRate: 0.268, isControl: false })
    expect(body.data).toMatchObject({ experimentId: experiment.id, controlVariantId: experiment.variants[0]!.id, confidenceLevel: 0.95 })
    expect(body.data.snapshotId).toMatch(/^snap_/)
    expect(t.pValue).toBeGreaterThan(0)
    expect(t.pValue).toBeLessThan(0.05)
    expect(t.probabilityToBeatControl).toBeGreaterThan(0.95)
    expect(body.data.srm).toMatchObject({ detected: false })
  })

  it('attributes conversions, and counts those of unassigned users and those before assignment as unattributed', async () => {
    const experiment = await runningExperiment(gateway, tenant, [50, 50])
    const variantOf = await enroll(experiment.id, ['a1', 'a2', 'a3'])
    const assignedAt = await db.selectFrom('assignments').select(['user_id', 'assigned_at']).where('experiment_id', '=', experiment.id).execute()
    const before = new Date(Math.min(...assignedAt.map((r) => r.assigned_at.getTime())) - 60_000).toISOString()
    const batch = [
      ...events(experiment.id, ['a1', 'a1', 'a2'], { metric: 'purchase', value: 20 }),
      ...events(experiment.id, ['a3'], { metric: 'purchase', value: 5, timestamp: before }),
      ...events(experiment.id, ['stranger'], { metric: 'purchase', value: 7 }),
      ...events(experiment.id, ['a1']),
    ]
    expect((await sendConversions(gateway, tenant, batch)).status).toBe(202)
    await eventually(async () => (await stored(batch.map((e) => e.eventId))) === batch.length, 10_000, 'conversions stored')

    const { body } = await api('GET', `/api/experiments/${experiment.id}/results`)
    const byVariant = new Map(body.data.variants.map((v: { variantId: string }) => [v.variantId, v]))
    const expected = new Map<string, { purchaseEvents: number; purchaseUsers: Set<string>; total: number }>()
    for (const [user, count, value] of [
      ['a1', 2, 40],
      ['a2', 1, 20],
    ] as const) {
      const entry = expected.get(variantOf.get(user)!) ?? { purchaseEvents: 0, purchaseUsers: new Set(), total: 0 }
      entry.purchaseEvents += count
      entry.purchaseUsers.add(user)
      entry.total += value
      expected.set(variantOf.get(user)!, entry)
    }
    for (const [variantId, entry] of expected) {
      const purchase = (byVariant.get(variantId) as { results: { metric: string }[] }).results.find((r) => r.metric === 'purchase')
      expect(purchase).toEqual({ metric: 'purchase', conversions: entry.purchaseUsers.size, events: entry.purchaseEvents, totalValue: entry.total })
    }
    expect(body.data.unattributed).toEqual([{ metric: 'purchase', notAssigned: 1, beforeAssignment: 1 }])
    const a1Variant = byVariant.get(variantOf.get('a1')!) as { results: { metric: string }[] }
    expect(a1Variant.results.find((r) => r.metric === 'conversion')).toEqual({ metric: 'conversion', conversions: 1, events: 1, totalValue: 1 })
    expect(body.data).toMatchObject({ experimentId: experiment.id, status: 'running', endDate: null })
    expect(body.data.variants.every((v: { participants: number }) => v.participants >= 0)).toBe(true)
  })

  it('attributes a conversion that arrives before its assignment reached PostgreSQL', async () => {
    const experiment = await runningExperiment(gateway, tenant, [50, 50])
    const answer = await assign(replica, tenant, experiment.id, 'early-bird')
    const batch = events(experiment.id, ['early-bird'])
    expect((await sendConversions(gateway, tenant, batch)).status).toBe(202)
    await eventually(async () => (await stored([batch[0]!.eventId])) === 1, 10_000, 'conversion stored')
    const waiting = await db.selectFrom('conversions').select('attribution').where('event_id', '=', batch[0]!.eventId).executeTakeFirstOrThrow()
    expect(waiting.attribution).toBe('not_assigned')

    await analytics(db, redis).drain.drainFully(experiment.id)
    const { body } = await api('GET', `/api/experiments/${experiment.id}/results`)
    const variant = body.data.variants.find((v: { variantId: string }) => v.variantId === answer.variant!.id)
    expect(variant.results).toEqual([{ metric: 'conversion', conversions: 1, events: 1, totalValue: 1 }])
    expect(body.data.unattributed).toEqual([{ metric: 'conversion', notAssigned: 0, beforeAssignment: 0 }])
  })

  it('stores values too small to square in float8, whether attributed at once or when the assignment arrives', async () => {
    const experiment = await runningExperiment(gateway, tenant, [50, 50])
    await enroll(experiment.id, ['tiny-now'])
    await assign(replica, tenant, experiment.id, 'tiny-later')
    const batch = events(experiment.id, ['tiny-now', 'tiny-later'], { value: 5e-324 })
    expect((await sendConversions(gateway, tenant, batch)).status).toBe(202)
    await eventually(async () => (await stored(batch.map((e) => e.eventId))) === 2, 10_000, 'both conversions stored')
    // The waiting conversion is attributed as the drain stores its user's assignment.
    await analytics(db, redis).drain.drainFully(experiment.id)
    const totals = await db
      .selectFrom('metric_aggregates')
      .select([sql<number>`sum(events)::int`.as('events'), sql<number>`sum(value_sum_squares)`.as('squares')])
      .where('experiment_id', '=', experiment.id)
      .executeTakeFirstOrThrow()
    expect(totals).toEqual({ events: 2, squares: 0 })
    expect(await db.selectFrom('assignments').select('user_id').where('experiment_id', '=', experiment.id).execute()).toHaveLength(2)
  })

  it('counts the same batch sent twice, and an eventId repeated within a batch, once', async () => {
    const experiment = await runningExperiment(gateway, tenant, [50, 50])
    await enroll(experiment.id, ['dup'])
    const [event] = events(experiment.id, ['dup'])
    const batch = [event!, { ...event!, value: 99 }]
    expect((await sendConversions(gateway, tenant, batch)).status).toBe(202)
    expect((await sendConversions(gateway, tenant, batch)).status).toBe(202)
    await eventually(async () => (await stored([event!.eventId])) === 1, 10_000, 'stored')
    await new Promise((r) => setTimeout(r, 500))
    const totals = await db
      .selectFrom('metric_aggregates')
      .select([sql<number>`sum(events)::int`.as('events'), sql<number>`sum(converters)::int`.as('converters'), sql<number>`sum(value_sum)`.as('value')])
      .where('experiment_id', '=', experiment.id)
      .executeTakeFirstOrThrow()
    expect(totals).toEqual({ events: 1, converters: 1, value: 1 })
  })

  it('computes once for ten concurrent compute-results calls, and the snapshot recomputes to the same figures', async () => {
    const experiment = await runningExperiment(gateway, tenant, [50, 50])
    const variantOf = await enroll(
      experiment.id,
      Array.from({ length: 200 }, (_, i) => `cr-${i}`),
    )
    const batch = events(
      experiment.id,
      [...variantOf.keys()].filter((_, i) => i % 3 === 0),
    )
    await sendConversions(gateway, tenant, batch)
    await eventually(async () => (await stored(batch.map((e) => e.eventId))) === batch.length, 10_000, 'stored')

    const calls = await Promise.all(
      Array.from({ length: 10 }, () => api('POST', `/api/experiments/${experiment.id}/compute-results`, { confidenceLevel: 0.99 })),
    )
    expect(calls.every((c) => c.status === 200)).toBe(true)
    expect(new Set(calls.map((c) => c.body.data.snapshotId)).size).toBe(1)
    const snapshots = await api('GET', `/api/experiments/${experiment.id}/snapshots`)
    expect(snapshots.body.meta.total).toBe(1)
    const [snapshot] = snapshots.body.data
    expect(snapshot).toMatchObject({ experimentId: experiment.id, metric: 'conversion', options: { confidenceLevel: 0.99 } })
    expect(snapshot.engineVersion).toEqual(expect.any(String))
    expect(snapshot.method).toEqual(expect.any(String))
    const recomputed = analyzeExperiment(snapshot.inputs)
    expect({ ...snapshot.result, snapshotId: undefined, experimentId: undefined }).toEqual({ ...recomputed, snapshotId: undefined, experimentId: undefined })
    expect(snapshot.result).toEqual(calls[0]!.body.data)
  })

  it('computes for a named metric and control, and rejects an unknown control', async () => {
    const experiment = await runningExperiment(gateway, tenant, [34, 33, 33])
    const control = experiment.variants[2]!.id
    const ok = await api('POST', `/api/experiments/${experiment.id}/compute-results`, { metric: 'signup', controlVariantId: control, confidenceLevel: 0.9 })
    expect(ok.status).toBe(200)
    expect(ok.body.data.controlVariantId).toBe(control)
    expect(ok.body.data.variants.find((v: { isControl: boolean }) => v.isControl).variantId).toBe(control)
    const noBody = await gateway.inject({ method: 'POST', url: `/api/experiments/${experiment.id}/compute-results`, headers: bearer(tenant) })
    expect(noBody.statusCode).toBe(200)
    expect(noBody.json().data.confidenceLevel).toBe(0.95)
    const nullBody = await gateway.inject({
      method: 'POST',
      url: `/api/experiments/${experiment.id}/compute-results`,
      headers: { ...bearer(tenant), 'content-type': 'application/json' },
      payload: 'null',
    })
    expect(nullBody.statusCode).toBe(400)
    const bad = await api('POST', `/api/experiments/${experiment.id}/compute-results`, { controlVariantId: 'var_nope' })
    expect(bad.status).toBe(400)
    expect(bad.body.error.details[0].path).toBe('/controlVariantId')
    for (const body of [{ confidenceLevel: 0.5 }, { confidenceLevel: 1 }, { metric: 'Bad Metric' }, { extra: 1 }]) {
      expect((await api('POST', `/api/experiments/${experiment.id}/compute-results`, body)).status).toBe(400)
    }
    expect((await api('POST', '/api/experiments/exp_nope/compute-results', {})).status).toBe(404)
    expect((await api('GET', '/api/experiments/exp_nope/results')).status).toBe(404)
    expect((await api('GET', '/api/experiments/exp_nope/snapshots')).status).toBe(404)
  })

  it('keeps no finished maintenance ticks in Redis', async () => {
    const maintenance = new Queue(QUEUE.maintenance, { connection: redis, prefix: QUEUE_PREFIX })
    try {
      await new Promise((r) => setTimeout(r, 1500)) // three sweeps at 500 ms
      expect(await maintenance.getCompletedCount()).toBe(0)
    } finally {
      await maintenance.close()
    }
  })
})
