/**
 * Redis losing its data, for real, on a private redis-server under load, with the analytics worker
 * running as its own process: it must heal with no person and no restart.
 */
import { rmSync } from 'node:fs'
import { conversionShard, QUEUE, QUEUE_PREFIX, redisKeys } from '@experiments/contracts'
import type { DB } from '@experiments/db'
import { freePort, startPrivateRedis, type RunningRedis } from '@experiments/devstack'
import { connectRedis, type RedisClient } from '@experiments/redis'
import { Queue } from 'bullmq'
import type { Kysely } from 'kysely'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { aTenant, bearer } from '../../test-support/tokens.js'
import {
  connectDb,
  eventually,
  events,
  exited,
  inParallel,
  runningExperiment,
  sendConversions,
  spawnService,
  startGateway,
  startReplica,
  type Replica,
} from './system.js'

const HEAL_WITHIN_MS = 30_000
const tenant = aTenant()
const dir = new URL(`../../.data/test-redis-loss-${process.pid}`, import.meta.url).pathname
// One conversions shard for the gateway and the worker: the test sets its backlog counter.
const shard = conversionShard(0, 1)

let db: Kysely<DB>
let port: number
let server: RunningRedis
let redis: RedisClient
let gateway: Awaited<ReturnType<typeof startGateway>>
let replica: Replica
let worker: Awaited<ReturnType<typeof spawnService>>

beforeAll(async () => {
  db = connectDb()
  port = await freePort()
  server = await startPrivateRedis({ dir, port, appendOnly: false })
  redis = await connectRedis(server.url)
  gateway = await startGateway(db, redis, undefined, { conversionShards: 1 })
  replica = await startReplica(server.url)
  worker = await spawnService('apps/analytics/dist/main.js', { REDIS_URL: server.url, STREAM_CLAIM_IDLE_MS: '500', CONVERSION_QUEUE_SHARDS: '1' })
  await eventually(async () => (await redis.exists(redisKeys.restored)) === 1, 20_000, 'the worker to set up the new Redis')
})
afterAll(async () => {
  worker.child.kill('SIGTERM')
  await exited(worker.child)
  await replica.close()
  await gateway.close()
  redis.disconnect()
  await server.stop()
  await db.destroy()
  rmSync(dir, { recursive: true, force: true })
})

type Answer = { status: number; reason?: string; variantId?: string | null }
const ask = async (experimentId: string, userId: string): Promise<Answer> => {
  const response = await replica.app.inject({
    method: 'POST',
    url: `/api/experiments/${experimentId}/assignments`,
    headers: bearer(tenant, 'assignments:write'),
    payload: { userId },
  })
  const body = response.json()
  return response.statusCode === 200 ? { status: 200, reason: body.data.reason, variantId: body.data.variant?.id ?? null } : { status: response.statusCode }
}
const pgParticipants = async (experimentId: string) =>
  (await db.selectFrom('variant_participants').select(['participants']).where('experiment_id', '=', experimentId).execute()).reduce(
    (n, r) => n + r.participants,
    0,
  )
const pgAssignments = async (experimentId: string) =>
  new Map(
    (await db.selectFrom('assignments').select(['user_id', 'variant_id']).where('experiment_id', '=', experimentId).execute()).map((r) => [
      r.user_id,
      r.variant_id,
    ]),
  )
const liveCount = async (experimentId: string) =>
  (await gateway.inject({ method: 'GET', url: `/api/experiments/${experimentId}`, headers: bearer(tenant) })).json().data._count.assignments as number

/** Stops the private Redis and starts it again on the same port and files; resolves once this file's connection is back. */
const restartRedis = async () => {
  await server.stop()
  server = await startPrivateRedis({ dir, port, appendOnly: false })
  await eventually(async () => (await redis.ping().catch(() => null)) === 'PONG', 10_000, 'the connection to come back')
}

/** Assigns and converts users continuously until stopped; every answer is kept. */
const load = (experimentId: string, known: string[]) => {
  const answers: Answer[] = []
  let running = true
  let next = 0
  const loop = async (lane: number) => {
    while (running) {
      const user = next % 3 === 0 ? `fresh-${lane}-${next}` : known[next % known.length]!
      next++
      answers.push(await ask(experimentId, user))
      const sent = await sendConversions(gateway, tenant, events(experimentId, [user]))
      answers.push({ status: sent.status })
    }
  }
  const lanes = [loop(0), loop(1), loop(2), loop(3)]
  return {
    answers,
    stop: async () => {
      running = false
      await Promise.all(lanes)
    },
  }
}

/**
 * After a loss, under `traffic`: a user PostgreSQL holds gets their variant back as `existing` within
 * HEAL_WITHIN_MS; then, the traffic stopped (clients saw answers or 503s, never a 500 or a 404),
 * every such user does.
 */
const expectHealed = async (experimentId: string, lostAt: number, traffic: ReturnType<typeof load>) => {
  try {
    const someone = [...(await pgAssignments(experimentId)).keys()][0]!
    await eventually(async () => (await ask(experimentId, someone)).reason === 'existing', HEAL_WITHIN_MS, 'a recorded user to be answered existing again')
    expect(Date.now() - lostAt).toBeLessThan(HEAL_WITHIN_MS)
  } finally {
    await traffic.stop()
  }
  const healedMs = Date.now() - lostAt
  const statuses = new Set(traffic.answers.map((a) => a.status))
  for (const status of statuses) expect([200, 202, 503]).toContain(status)
  // A running experiment never looked stopped or gone meanwhile.
  expect(traffic.answers.filter((a) => a.reason !== undefined && a.reason !== 'assigned' && a.reason !== 'existing')).toEqual([])
  expect(traffic.answers.filter((a) => a.status === 200).length).toBeGreaterThan(0)
  // REDIS_LOSS_SUMMARY=1 prints how long until a recorded user was answered `existing` again.
  if (process.env.REDIS_LOSS_SUMMARY)
    console.log(JSON.stringify({ healedMs, answers: traffic.answers.length, unavailable: traffic.answers.filter((a) => a.status === 503).length }))
  const recorded = await pgAssignments(experimentId)
  const again = await inParallel([...recorded.keys()], 20, async (u) => ({ u, answer: await ask(experimentId, u) }))
  for (const { u, answer } of again) expect(answer, u).toEqual({ status: 200, reason: 'existing', variantId: recorded.get(u) })
  // A new user is enrolled, reaches PostgreSQL, and the live count equals PostgreSQL's.
  const fresh = await ask(experimentId, `after-${lostAt}`)
  expect(fresh.reason).toBe('assigned')
  await eventually(async () => (await pgAssignments(experimentId)).has(`after-${lostAt}`), 10_000, 'the new assignment to reach PostgreSQL')
  await eventually(async () => (await liveCount(experimentId)) === (await pgParticipants(experimentId)), 10_000, 'the live count to equal PostgreSQL')
}

/** The maintenance ticks run again: the backlog counter is reset, an experiment past its endDate is completed. */
const expectMaintenance = async () => {
  const maintenance = new Queue(QUEUE.maintenance, { connection: redis, prefix: QUEUE_PREFIX })
  try {
    await eventually(async () => (await maintenance.getJobSchedulersCount()) === 3, 10_000, 'the three job schedulers')
  } finally {
    await maintenance.close()
  }
  await redis.set(shard.backlogKey, 999_999)
  await eventually(async () => Number(await redis.get(shard.backlogKey)) === 0, 20_000, 'the backlog counter to be reset')
  const ending = await runningExperiment(gateway, tenant, [50, 50], { endDate: new Date(Date.now() + 3_600_000).toISOString() })
  await db
    .updateTable('experiments')
    .set({ end_date: new Date(Date.now() - 1000) })
    .where('id', '=', ending.id)
    .execute()
  await eventually(
    async () => (await db.selectFrom('experiments').select('status').where('id', '=', ending.id).executeTakeFirstOrThrow()).status === 'completed',
    15_000,
    'the experiment past its endDate to be completed',
  )
}

describe('Redis that lost all its data', () => {
  it('heals itself after FLUSHALL under load, then after a restart without data, no process restarted', async () => {
    const experiment = await runningExperiment(gateway, tenant, [30, 70])
    const known = Array.from({ length: 200 }, (_, i) => `known-${i}`)
    await inParallel(known, 20, (u) => ask(experiment.id, u))
    await eventually(async () => (await pgAssignments(experiment.id)).size === known.length, 20_000, 'the first users to reach PostgreSQL')

    // FLUSHALL under load.
    let traffic = load(experiment.id, known)
    await new Promise((r) => setTimeout(r, 500))
    const flushedAt = Date.now()
    await redis.flushall()
    await expectHealed(experiment.id, flushedAt, traffic)
    await expectMaintenance()

    // A restart that comes back empty: connections drop and return to a Redis with nothing.
    traffic = load(experiment.id, known)
    await new Promise((r) => setTimeout(r, 500))
    await restartRedis()
    await expectHealed(experiment.id, Date.now(), traffic)
    await expectMaintenance()
  }, 150_000)
})

describe('Redis that lost its last writes', () => {
  it('rebuilds an experiment whose sticky map and counts fell behind PostgreSQL, and counts returning users once', async () => {
    const experiment = await runningExperiment(gateway, tenant, [50, 50])
    const early = Array.from({ length: 150 }, (_, i) => `early-${i}`)
    await inParallel(early, 20, (u) => ask(experiment.id, u))
    await eventually(async () => (await pgAssignments(experiment.id)).size === early.length, 20_000, 'the early users to reach PostgreSQL')
    // A snapshot, then writes it will not hold: Redis comes back from it as from an OS crash that
    // lost its last writes, while PostgreSQL already holds them.
    await redis.save()
    const late = Array.from({ length: 120 }, (_, i) => `late-${i}`)
    const told = new Map((await inParallel(late, 20, async (u) => [u, await ask(experiment.id, u)] as const)).map(([u, a]) => [u, a.variantId]))
    await eventually(async () => (await pgAssignments(experiment.id)).size === early.length + late.length, 20_000, 'the late users to reach PostgreSQL')
    await restartRedis()
    expect(await redis.hlen(redisKeys.assignments(experiment.id))).toBe(early.length)

    // The worker's periodic check finds the sticky map behind PostgreSQL and rebuilds it.
    await eventually(
      async () => (await redis.hlen(redisKeys.assignments(experiment.id))) === early.length + late.length,
      25_000,
      'the sticky map to be rebuilt',
    )
    await eventually(async () => (await liveCount(experiment.id)) === early.length + late.length, 10_000, 'the count to equal PostgreSQL')
    const back = await inParallel(late, 20, async (u) => [u, await ask(experiment.id, u)] as const)
    for (const [u, answer] of back) expect(answer, u).toEqual({ status: 200, reason: 'existing', variantId: told.get(u) })
    await new Promise((r) => setTimeout(r, 500))
    expect(await liveCount(experiment.id)).toBe(early.length + late.length)
    expect(await pgParticipants(experiment.id)).toBe(early.length + late.length)
  }, 90_000)
})
