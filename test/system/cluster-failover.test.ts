import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { redisKeys } from '@experiments/contracts'
import type { DB } from '@experiments/db'
import { hasRedisServer, startPrivateRedisCluster, type RunningRedisCluster } from '@experiments/devstack'
import { connectRedis, keySlot, type Cluster } from '@experiments/redis'
import { sql, type Kysely } from 'kysely'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { aTenant } from '../../test-support/tokens.js'
import { request, spawnReady, startedExperiment, stopAll, type Answer, type SpawnedService } from './spawned-stack.js'
import { connectDb, eventually, events, storedEvents } from './system.js'

// A master of a 3 + 3 Redis Cluster is SIGKILLed under steady load of assignments and conversion
// batches, with REDIS_MIN_REPLICAS_ACK=1: its replica takes over, the services carry on without a
// restart, and nothing a client was told is safe is lost or counted twice. The promoted master has
// no replica of its own, so its slots' writes answer 503 (they could not be confirmed) until the
// killed node is back, as an orchestrator would bring it, and rejoins as its replica.
const REQUEST_TIMEOUT_MS = 10_000

let cluster: RunningRedisCluster
let dir: string
let db: Kysely<DB>
let redis: Cluster
const services: SpawnedService[] = []

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'failover-'))
  cluster = await startPrivateRedisCluster({ dir, nodeTimeoutMs: 2000 })
  db = connectDb()
  redis = (await connectRedis({ clusterNodes: cluster.nodes })) as Cluster
}, 60_000)

afterAll(async () => {
  await stopAll(services)
  redis?.disconnect()
  await db?.destroy()
  await cluster?.stop()
  rmSync(dir, { recursive: true, force: true })
})

type Told = { userId: string; answer: Answer; at: number }
type Sent = { eventIds: string[]; answer: Answer; at: number }

describe.skipIf(!hasRedisServer())('a Redis Cluster master dies under load (REDIS_MIN_REPLICAS_ACK=1)', () => {
  it('the replica takes over, the services recover by themselves, and every acknowledged write is there exactly once', async () => {
    const env = {
      REDIS_CLUSTER_NODES: cluster.seeds,
      REDIS_MIN_REPLICAS_ACK: '1',
      REDIS_REPLICA_ACK_TIMEOUT_MS: '500',
      STREAM_CLAIM_IDLE_MS: '1000',
    }
    // The worker first: it sets the restore marker the assignment service waits for.
    services.push(await spawnReady('analytics', env))
    const [gateway, assignment] = await Promise.all([spawnReady('gateway', env), spawnReady('assignment', env)])
    services.push(gateway!, assignment!)
    const tenant = aTenant()
    const experiment = await startedExperiment(gateway!.url, tenant)

    const told: Told[] = []
    const sent: Sent[] = []
    let running = true
    let next = 0
    const assignLoop = async () => {
      while (running) {
        const userId = `user-${next++}`
        const answer = await request(`${assignment!.url}/api/experiments/${experiment.id}/assignments`, tenant, 'POST', { userId }, REQUEST_TIMEOUT_MS)
        told.push({ userId, answer, at: Date.now() })
      }
    }
    const conversionLoop = async () => {
      while (running) {
        const users = Array.from({ length: 10 }, (_, i) => `user-${Math.max(0, next - 1 - i * 7)}`)
        const batch = events(experiment.id, users)
        const answer = await request(`${gateway!.url}/api/conversions`, tenant, 'POST', { events: batch }, REQUEST_TIMEOUT_MS)
        sent.push({ eventIds: batch.map((e) => e.eventId), answer, at: Date.now() })
      }
    }
    const load = Promise.all([...Array.from({ length: 4 }, assignLoop), ...Array.from({ length: 2 }, conversionLoop)])

    await new Promise((r) => setTimeout(r, 3000))
    // The master of the experiment's slot: its sticky map, counts and stream die with it.
    const slot = keySlot(redisKeys.status(experiment.id))
    const port = Number(redis.slots[slot]![0]!.split(':')[1])
    const killedAt = Date.now()
    cluster.processes.find((p) => p.port === port)!.kill('SIGKILL')
    // Promoted: a surviving node says another node serves the slot (a node only suspected of
    // failing, `fail?`, still holds its slots; restarting it empty then would lose them).
    const survivor = cluster.nodes.find((node) => node.port !== port)!
    const asker = await connectRedis(`redis://${survivor.host}:${survivor.port}`)
    await eventually(
      async () => {
        const ranges = (await asker.call('CLUSTER', 'SLOTS')) as [number, number, [string, number]][]
        const owner = ranges.find(([from, to]) => from <= slot && slot <= to)?.[2][1]
        return owner !== undefined && owner !== port
      },
      20_000,
      'a replica to take over the killed master',
    )
    asker.disconnect()
    const promotedAt = Date.now()
    await cluster.restart(port)
    const rejoinedAt = Date.now()
    // Load goes on until both hot paths have answered 2xx for three seconds in a row.
    await eventually(
      async () => {
        const since = Date.now() - 3000
        const recent = [...told.filter((t) => t.at > since), ...sent.filter((s) => s.at > since)]
        return Date.now() - killedAt > 5000 && recent.length > 0 && recent.every((r) => r.answer.status < 300)
      },
      40_000,
      'both hot paths to answer 2xx again',
    ).catch((error) => {
      const summary = (list: { answer: Answer; at: number }[]) =>
        list.slice(-5).map((a) => `${Math.round((a.at - killedAt) / 100) / 10}s ${a.answer.status} ${JSON.stringify(a.answer.body).slice(0, 160)}`)
      throw new Error(`${(error as Error).message}; last assignments: ${summary(told).join(' | ')}; last batches: ${summary(sent).join(' | ')}`)
    })
    running = false
    await load

    const answers = [...told, ...sent]
    const failed = answers.filter((a) => a.answer.status >= 300)
    const recoveredAt = Math.max(killedAt, ...failed.map((a) => a.at))
    console.log(
      `failover: ${told.length} assignment calls, ${sent.length} conversion batches, ${failed.length} answered 503; ` +
        `replica promoted ${((promotedAt - killedAt) / 1000).toFixed(1)} s, killed node back as its replica ${((rejoinedAt - killedAt) / 1000).toFixed(1)} s, ` +
        `both hot paths 2xx again ${((recoveredAt - killedAt) / 1000).toFixed(1)} s after the SIGKILL`,
    )
    // During the failover: 2xx or 503, never a 500, never a request left hanging.
    expect(answers.filter((a) => ![200, 202, 503].includes(a.answer.status)).map((a) => a.answer)).toEqual([])
    expect(Math.max(...answers.map((a) => a.answer.ms))).toBeLessThan(REQUEST_TIMEOUT_MS)
    expect(failed.every((a) => a.answer.body?.error?.code === 'SERVICE_UNAVAILABLE')).toBe(true)

    // Every user told `assigned` is in PostgreSQL with the variant they were told, and keeps it.
    const assigned = new Map(
      told.filter((t) => t.answer.status === 200 && t.answer.body.data.reason === 'assigned').map((t) => [t.userId, t.answer.body.data.variant.id as string]),
    )
    expect(assigned.size).toBeGreaterThan(100)
    const stored = async () =>
      new Map(
        (await db.selectFrom('assignments').select(['user_id', 'variant_id']).where('experiment_id', '=', experiment.id).execute()).map((r) => [
          r.user_id,
          r.variant_id,
        ]),
      )
    await eventually(
      async () => {
        const rows = await stored()
        return [...assigned.keys()].every((userId) => rows.has(userId))
      },
      30_000,
      'the assignments to reach PostgreSQL',
    ).catch(async (error) => {
      const rows = await stored()
      const missing = told.filter((t) => assigned.has(t.userId) && !rows.has(t.userId))
      throw new Error(
        `${(error as Error).message}: ${missing.length} of ${assigned.size} missing, e.g. ${missing
          .slice(0, 5)
          .map((t) => `${t.userId} at ${((t.at - killedAt) / 1000).toFixed(1)} s`)
          .join(
            ', ',
          )}; stream length ${await redis.xlen(redisKeys.assignmentStream(experiment.id))}, sticky map ${await redis.hlen(redisKeys.assignments(experiment.id))}`,
      )
    })
    const inPostgres = await stored()
    for (const [userId, variant] of assigned) expect(inPostgres.get(userId), userId).toBe(variant)
    const again = await Promise.all(
      [...assigned.keys()]
        .slice(0, 200)
        .map((userId) => request(`${assignment!.url}/api/experiments/${experiment.id}/assignments`, tenant, 'POST', { userId })),
    )
    for (const [i, userId] of [...assigned.keys()].slice(0, 200).entries()) {
      expect(again[i]!.body.data, userId).toMatchObject({ reason: 'existing', variant: { id: assigned.get(userId) } })
    }

    // Participant counts (Redis, once the worker's check has mended what the failover lost) equal the assignments table.
    await eventually(
      async () => {
        const counts = await redis.hgetall(redisKeys.counts(experiment.id))
        const rows = await db
          .selectFrom('assignments')
          .select(['variant_id', sql<number>`count(*)::int`.as('n')])
          .where('experiment_id', '=', experiment.id)
          .groupBy('variant_id')
          .execute()
        return rows.length > 0 && rows.every((r) => Number(counts[r.variant_id] ?? 0) === r.n) && Object.keys(counts).length === rows.length
      },
      40_000,
      "Redis's participant counts to equal the assignments table",
    )

    // Every acknowledged conversion is counted, and no conversion twice.
    const acknowledged = sent.filter((s) => s.answer.status === 202).flatMap((s) => s.eventIds)
    expect(acknowledged.length).toBeGreaterThan(100)
    await eventually(async () => (await storedEvents(db, tenant, acknowledged)) === acknowledged.length, 30_000, 'every acknowledged conversion to be stored')
    const rows = (
      await db.selectFrom('conversions').select(sql<number>`count(*)::int`.as('n')).where('experiment_id', '=', experiment.id).executeTakeFirstOrThrow()
    ).n
    await eventually(
      async () => {
        const counted = await sql<{ n: number }>`
          select (select coalesce(sum(events), 0) from metric_aggregates where experiment_id = ${experiment.id})
               + (select coalesce(sum(not_assigned + before_assignment), 0) from unattributed_aggregates where experiment_id = ${experiment.id}) as n`.execute(
          db,
        )
        return Number(counted.rows[0]!.n) === rows
      },
      30_000,
      'the aggregates to count every stored conversion once',
    )
  }, 180_000)
})
