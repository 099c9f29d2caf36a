import { redisKeys } from '@experiments/contracts'
import type { DB } from '@experiments/db'
import type { RedisClient } from '@experiments/redis'
import type { Kysely } from 'kysely'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { aTenant, bearer } from '../../test-support/tokens.js'
import { analytics, assign, assignMany, connect, connectDb, inParallel, runningExperiment, startGateway, startReplica, type Replica } from './system.js'

// Upper 0.001 critical values of the chi-square distribution (NIST/SEMATECH e-Handbook, table 1.3.6.7.4).
const CHI_SQUARE_CRITICAL_0_001 = { 1: 10.828, 2: 13.816 } as Record<number, number>

let db: Kysely<DB>
let redis: RedisClient
let gateway: Awaited<ReturnType<typeof startGateway>>
let replicaA: Replica
let replicaB: Replica
const tenant = aTenant()

beforeAll(async () => {
  db = connectDb()
  redis = await connect()
  gateway = await startGateway(db, redis)
  replicaA = await startReplica()
  replicaB = await startReplica()
})
afterAll(async () => {
  await replicaA.close()
  await replicaB.close()
  await gateway.close()
  await db.destroy()
  redis.disconnect()
})

const participants = async (experimentId: string) => {
  const response = await gateway.inject({ method: 'GET', url: `/api/experiments/${experimentId}`, headers: bearer(tenant) })
  return response.json().data._count.assignments as number
}

describe('assignment across the system', () => {
  it('100,000 users over 50/50, 33.33/33.33/33.34 and 90/10 pass a chi-square goodness-of-fit test (p > 0.001)', async () => {
    const splitSets = [
      [50, 50],
      [33.33, 33.33, 33.34],
      [90, 10],
    ]
    const experiments = await Promise.all(splitSets.map((splits) => runningExperiment(gateway, tenant, splits)))
    const experimentIds = experiments.map((e) => e.id)
    const users = Array.from({ length: 100_000 }, (_, i) => `user-${i}`)
    // One batch request per user answers for all three experiments, through both replicas.
    const answers = (await inParallel(users, 200, (u) => assignMany(u.length % 2 ? replicaA : replicaB, tenant, u, experimentIds))).flat()
    expect(answers).toHaveLength(300_000)
    expect(answers.every((a) => a.reason === 'assigned')).toBe(true)
    for (const experiment of experiments) {
      const observed = experiment.variants.map((v) => answers.filter((a) => a.variant?.id === v.id).length)
      const chiSquare = experiment.variants.reduce((sum, v, i) => {
        const expected = (users.length * v.splitPercentage) / 100
        return sum + (observed[i]! - expected) ** 2 / expected
      }, 0)
      expect(chiSquare).toBeLessThan(CHI_SQUARE_CRITICAL_0_001[experiment.variants.length - 1]!)
      expect(await participants(experiment.id)).toBe(100_000)
    }
  }, 240_000)

  it('gives a user the same variant from two replicas', async () => {
    const seed = `shared-seed-${tenant}`
    const first = await runningExperiment(gateway, tenant, [25, 25, 50], { seed })
    const second = await runningExperiment(gateway, tenant, [25, 25, 50], { seed })
    const users = Array.from({ length: 1000 }, (_, i) => `same-${i}`)
    const viaA = await inParallel(users, 50, (u) => assign(replicaA, tenant, first.id, u))
    const viaB = await inParallel(users, 50, (u) => assign(replicaB, tenant, second.id, u))
    const index = (experiment: typeof first, a: { variant: { id: string } | null }) => experiment.variants.findIndex((v) => v.id === a.variant?.id)
    expect(viaA.map((a) => index(first, a))).toEqual(viaB.map((b) => index(second, b)))
    expect(viaB.every((b) => b.reason === 'assigned')).toBe(true)
    const stickyOnB = await inParallel(users, 50, (u) => assign(replicaB, tenant, first.id, u))
    expect(stickyOnB.map((a) => a.variant?.id)).toEqual(viaA.map((a) => a.variant?.id))
    expect(stickyOnB.every((a) => a.reason === 'existing')).toBe(true)
  })

  it('keeps assignments sticky across a restart of the service', async () => {
    const experiment = await runningExperiment(gateway, tenant, [50, 50])
    const users = Array.from({ length: 200 }, (_, i) => `restart-${i}`)
    const before = await inParallel(users, 50, (u) => assign(replicaA, tenant, experiment.id, u))
    await replicaA.close()
    replicaA = await startReplica()
    const after = await inParallel(users, 50, (u) => assign(replicaA, tenant, experiment.id, u))
    expect(after.map((a) => a.variant?.id)).toEqual(before.map((a) => a.variant?.id))
    expect(after.every((a) => a.reason === 'existing')).toBe(true)
  })

  it('enrolls no one once POST /stop has returned, while assignments race the stop on two replicas', async () => {
    const experiment = await runningExperiment(gateway, tenant, [50, 50])
    let stopReturnedAt = Number.POSITIVE_INFINITY
    let sending = true
    let counter = 0
    const answers: { sentAt: number; reason: string }[] = []
    const loop = async (replica: Replica) => {
      while (sending) {
        const sentAt = performance.now()
        const answer = await assign(replica, tenant, experiment.id, `race-${counter++}`)
        answers.push({ sentAt, reason: answer.reason })
      }
    }
    const loops = Array.from({ length: 16 }, (_, i) => loop(i % 2 ? replicaA : replicaB))
    await new Promise((r) => setTimeout(r, 300))
    const stop = await gateway.inject({ method: 'POST', url: `/api/experiments/${experiment.id}/stop`, headers: bearer(tenant) })
    stopReturnedAt = performance.now()
    expect(stop.statusCode).toBe(200)
    const recordedAtStop = await redis.hlen(redisKeys.assignments(experiment.id))
    await new Promise((r) => setTimeout(r, 300))
    sending = false
    await Promise.all(loops)

    const afterStop = answers.filter((a) => a.sentAt > stopReturnedAt)
    expect(afterStop.length).toBeGreaterThan(50)
    expect(afterStop.every((a) => a.reason === 'enrollment_closed')).toBe(true)
    expect(await redis.hlen(redisKeys.assignments(experiment.id))).toBe(recordedAtStop)
    const assigned = answers.filter((a) => a.reason === 'assigned').length
    expect(assigned).toBe(recordedAtStop)
    expect(await participants(experiment.id)).toBe(assigned)
  })

  it('drains every recorded assignment into PostgreSQL exactly once', async () => {
    const experiment = await runningExperiment(gateway, tenant, [50, 50])
    const users = Array.from({ length: 3000 }, (_, i) => `drain-${i}`)
    const answers = await inParallel(users, 100, (u) => assign(replicaA, tenant, experiment.id, u))
    const { drain, store } = analytics(db, redis)
    await drain.drainFully(experiment.id)
    await drain.drainFully(experiment.id)
    const rows = await db.selectFrom('assignments').select(['user_id', 'variant_id']).where('experiment_id', '=', experiment.id).execute()
    expect(rows).toHaveLength(3000)
    const recorded = new Map(rows.map((r) => [r.user_id, r.variant_id]))
    expect(answers.every((a) => recorded.get(a.userId) === a.variant?.id)).toBe(true)
    const perVariant = await store.participantsByVariant(experiment.id)
    expect([...perVariant.values()].reduce((a, b) => a + b, 0)).toBe(3000)
    expect(await redis.xlen(redisKeys.assignmentStream(experiment.id))).toBe(0)
  })

  it('keeps draining other experiments when one stream cannot be stored', async () => {
    const healthy = await runningExperiment(gateway, tenant, [50, 50])
    await inParallel(['h1', 'h2', 'h3'], 3, (u) => assign(replicaA, tenant, healthy.id, u))
    // A stream for an experiment PostgreSQL does not know: storing it violates variant_participants' foreign key.
    await redis.xadd(redisKeys.assignmentStream('exp_unknown_to_pg'), '*', 'u', 'ghost', 'v', 'var_x', 't', String(Date.now()))
    await redis.sadd(redisKeys.streams, 'exp_unknown_to_pg')
    try {
      const { drain } = analytics(db, redis)
      for (let i = 0; i < 3; i++) await drain.pass()
      const rows = await db.selectFrom('assignments').select('user_id').where('experiment_id', '=', healthy.id).execute()
      expect(rows.map((r) => r.user_id).sort()).toEqual(['h1', 'h2', 'h3'])
    } finally {
      await redis.srem(redisKeys.streams, 'exp_unknown_to_pg')
      await redis.del(redisKeys.assignmentStream('exp_unknown_to_pg'))
    }
  })

  it('keeps a just-registered stream while the experiment is not yet running, and retires a completed one once drained, Redis keys and all', async () => {
    const experiment = await runningExperiment(gateway, tenant, [50, 50])
    const { drain, rebuilder } = analytics(db, redis)
    // The moment between the gateway registering the stream and setting the status to running.
    await redis.set(redisKeys.status(experiment.id), 'draft')
    await drain.pass()
    expect(await redis.sismember(redisKeys.streams, experiment.id)).toBe(1)
    await redis.set(redisKeys.status(experiment.id), 'running')

    // Lost from the set (say, a flush): the periodic check registers every live experiment again.
    await redis.srem(redisKeys.streams, experiment.id)
    await rebuilder.reconcile()
    expect(await redis.sismember(redisKeys.streams, experiment.id)).toBe(1)

    await inParallel(['c1', 'c2', 'c3'], 3, (u) => assign(replicaA, tenant, experiment.id, u))
    await gateway.inject({ method: 'POST', url: `/api/experiments/${experiment.id}/complete`, headers: bearer(tenant) })
    await drain.drainFully(experiment.id)
    await drain.pass()
    expect(await redis.sismember(redisKeys.streams, experiment.id)).toBe(0)
    // Its Redis keys are gone; participants now come from PostgreSQL.
    const keys = [redisKeys.assignments(experiment.id), redisKeys.counts(experiment.id), redisKeys.assignmentStream(experiment.id)]
    expect(await redis.exists(...keys)).toBe(0)
    expect(await participants(experiment.id)).toBe(3)
  })
})
