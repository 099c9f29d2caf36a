import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { redisKeys } from '@experiments/contracts'
import type { DB } from '@experiments/db'
import { hasRedisServer, startPrivateRedisCluster, type RunningRedisCluster } from '@experiments/devstack'
import { connectRedis, type RedisClient } from '@experiments/redis'
import { sql, type Kysely } from 'kysely'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { aTenant } from '../../test-support/tokens.js'
import { request, spawnReady, startedExperiment, stopAll, type SpawnedService } from './spawned-stack.js'
import { connectDb, eventually, events, storedEvents, inParallel } from './system.js'

// Two replicas of every service on one Redis Cluster and one PostgreSQL, with load spread over
// both replicas of each: the guarantees of one replica hold for the pair.
let cluster: RunningRedisCluster
let dir: string
let db: Kysely<DB>
let redis: RedisClient
const gateways: SpawnedService[] = []
const assigners: SpawnedService[] = []
const workers: SpawnedService[] = []
const tenant = aTenant()

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'replicas-'))
  cluster = await startPrivateRedisCluster({ dir })
  db = connectDb()
  redis = await connectRedis({ clusterNodes: cluster.nodes })
  const env = { REDIS_CLUSTER_NODES: cluster.seeds, STREAM_CLAIM_IDLE_MS: '1000' }
  workers.push(await spawnReady('analytics', env))
  workers.push(await spawnReady('analytics', env))
  gateways.push(...(await Promise.all([spawnReady('gateway', env), spawnReady('gateway', env)])))
  assigners.push(...(await Promise.all([spawnReady('assignment', env), spawnReady('assignment', env)])))
}, 120_000)

afterAll(async () => {
  await stopAll([...gateways, ...assigners, ...workers])
  redis?.disconnect()
  await db?.destroy()
  await cluster?.stop()
  rmSync(dir, { recursive: true, force: true })
})

const assignVia = (replica: SpawnedService, experimentId: string, userId: string) =>
  request(`${replica.url}/api/experiments/${experimentId}/assignments`, tenant, 'POST', { userId })
const assignmentRows = async (experimentId: string) =>
  new Map(
    (await db.selectFrom('assignments').select(['user_id', 'variant_id']).where('experiment_id', '=', experimentId).execute()).map((r) => [
      r.user_id,
      r.variant_id,
    ]),
  )
const countsMatchTable = async (experimentId: string) => {
  const counts = await redis.hgetall(redisKeys.counts(experimentId))
  const rows = await db
    .selectFrom('assignments')
    .select(['variant_id', sql<number>`count(*)::int`.as('n')])
    .where('experiment_id', '=', experimentId)
    .groupBy('variant_id')
    .execute()
  const participants = await db.selectFrom('variant_participants').select(['variant_id', 'participants']).where('experiment_id', '=', experimentId).execute()
  return (
    rows.every((r) => Number(counts[r.variant_id] ?? 0) === r.n) &&
    rows.every((r) => Number(participants.find((p) => p.variant_id === r.variant_id)?.participants ?? 0) === r.n) &&
    Object.values(counts).reduce((sum, n) => sum + Number(n), 0) === rows.reduce((sum, r) => sum + r.n, 0)
  )
}

describe.skipIf(!hasRedisServer())('2 gateways, 2 assignment services and 2 analytics workers on one Redis Cluster', () => {
  it('a user keeps their variant whichever replica answers, and counts equal the assignments table', async () => {
    const experiment = await startedExperiment(gateways[0]!.url, tenant)
    const users = Array.from({ length: 300 }, (_, i) => `sticky-${i}`)
    const first = await inParallel(users, 20, (u, i = users.indexOf(u)) => assignVia(assigners[i % 2]!, experiment.id, u))
    expect(first.every((a) => a.status === 200 && a.body.data.reason === 'assigned')).toBe(true)
    const again = await inParallel(users, 20, (u, i = users.indexOf(u)) => assignVia(assigners[(i + 1) % 2]!, experiment.id, u))
    again.forEach((a, i) => expect(a.body.data, users[i]).toMatchObject({ reason: 'existing', variant: { id: first[i]!.body.data.variant.id } }))
    await eventually(async () => (await assignmentRows(experiment.id)).size === users.length, 15_000, 'both workers to drain the assignments')
    const rows = await assignmentRows(experiment.id)
    users.forEach((u, i) => expect(rows.get(u)).toBe(first[i]!.body.data.variant.id))
    await eventually(() => countsMatchTable(experiment.id), 15_000, 'counts to equal the assignments table')
  })

  it('a stop through one gateway closes enrolment on both assignment replicas the moment it returns', async () => {
    const experiment = await startedExperiment(gateways[1]!.url, tenant)
    let stoppedAt = Number.POSITIVE_INFINITY
    let next = 0
    const answers: { userId: string; sentAt: number; status: number; reason?: string }[] = []
    const load = Promise.all(
      Array.from({ length: 6 }, async (_, client) => {
        while (Date.now() < stoppedAt + 1500) {
          const userId = `stop-${next++}`
          const sentAt = Date.now()
          const answer = await assignVia(assigners[client % 2]!, experiment.id, userId)
          answers.push({ userId, sentAt, status: answer.status, reason: answer.body?.data?.reason })
        }
      }),
    )
    await new Promise((r) => setTimeout(r, 1000))
    const stop = await request(`${gateways[0]!.url}/api/experiments/${experiment.id}/stop`, tenant, 'POST')
    expect(stop.status).toBe(200)
    stoppedAt = Date.now()
    await load
    const after = answers.filter((a) => a.sentAt > stoppedAt)
    expect(after.length).toBeGreaterThan(20)
    expect(after.filter((a) => a.reason !== 'enrollment_closed')).toEqual([])
    const enrolled = answers.filter((a) => a.reason === 'assigned').map((a) => a.userId)
    expect(enrolled.length).toBeGreaterThan(20)
    await eventually(async () => (await assignmentRows(experiment.id)).size === enrolled.length, 15_000, 'the enrolled users to reach PostgreSQL')
    expect([...(await assignmentRows(experiment.id)).keys()].sort()).toEqual(enrolled.sort())
    await eventually(() => countsMatchTable(experiment.id), 15_000, 'counts to equal the assignments table')
  })

  it('counts each conversion once, sent to both gateways, and a SIGKILLed worker’s share is finished by the other', async () => {
    const experiment = await startedExperiment(gateways[0]!.url, tenant)
    const users = Array.from({ length: 100 }, (_, i) => `conv-${i}`)
    await inParallel(users, 20, (u) => assignVia(assigners[0]!, experiment.id, u))
    const batches = Array.from({ length: 200 }, (_, i) => events(experiment.id, users.slice((i * 7) % 90, ((i * 7) % 90) + 10)))
    let sent = 0
    const load = inParallel(batches, 8, async (batch) => {
      // Every batch goes to both gateways: one of them counts it, the other is a duplicate.
      const answers = await Promise.all(gateways.map((g) => request(`${g.url}/api/conversions`, tenant, 'POST', { events: batch })))
      sent++
      return answers.map((a) => a.status)
    })
    await eventually(async () => sent >= 40, 20_000, 'load to be under way')
    workers[0]!.child.kill('SIGKILL')
    const statuses = (await load).flat()
    expect(statuses.every((s) => s === 202)).toBe(true)
    const eventIds = batches.flat().map((e) => e.eventId)
    await eventually(
      async () => (await storedEvents(db, tenant, eventIds)) === eventIds.length,
      40_000,
      'the surviving worker to store every batch, the dead one’s included',
    )
    await eventually(
      async () => {
        const { rows } = await sql<{ n: string }>`
          select (select coalesce(sum(events), 0) from metric_aggregates where experiment_id = ${experiment.id})
               + (select coalesce(sum(not_assigned + before_assignment), 0) from unattributed_aggregates where experiment_id = ${experiment.id}) as n`.execute(
          db,
        )
        return Number(rows[0]!.n) === eventIds.length
      },
      20_000,
      'the aggregates to count each conversion once',
    )
  })
})
