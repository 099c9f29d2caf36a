import { rmSync } from 'node:fs'
import { conversionShard, QUEUE, redisKeys } from '@experiments/contracts'
import { createDb, migrateToLatest, type DB } from '@experiments/db'
import { freePort, startEmbeddedPostgres, startPrivateRedis, type RunningPostgres, type RunningRedis } from '@experiments/devstack'
import { connectRedis, type RedisClient } from '@experiments/redis'
import { Queue } from 'bullmq'
import { sql, type Kysely } from 'kysely'
import { afterAll, beforeAll, expect, it } from 'vitest'
import { aTenant } from '../../test-support/tokens.js'
import { eventually, events, exited, runningExperiment, sendConversions, spawnServiceWithOutput, startGateway } from './system.js'

// A PostgreSQL of this file's own, stopped and started again (the shared server serves other files),
// and a Redis of its own, so this file's worker is the one that takes the jobs.
const pgDir = new URL(`../../.data/test-postgres-outage-${process.pid}`, import.meta.url).pathname
const redisDir = new URL(`../../.data/test-redis-postgres-outage-${process.pid}`, import.meta.url).pathname
let pgPort: number
let postgres: RunningPostgres
let redisServer: RunningRedis
let redis: RedisClient
let db: Kysely<DB>
let gateway: Awaited<ReturnType<typeof startGateway>>
const tenant = aTenant()
// One conversions shard for the gateway and the worker, so the test reads the one queue they use.
const shard = conversionShard(0, 1)

// The retry schedule scaled down a hundredfold: the old one (10 attempts, exponential from 10 ms)
// gave up 5.11 s after a job's first failure; PostgreSQL stays away longer than that.
const RETRY = { ANALYTICS_RETRY_DELAY_MS: '10', ANALYTICS_RETRY_MAX_DELAY_MS: '200' }
const OLD_SCHEDULE_MS = 10 * (2 ** 9 - 1) // 10 + 20 + … + 2560 ms between its 10 attempts: 5110 ms
const OUTAGE_MS = 8000

beforeAll(async () => {
  pgPort = await freePort()
  postgres = await startEmbeddedPostgres({ dataDir: pgDir, port: pgPort })
  const migrator = createDb(postgres.serverUrl('postgres'), { max: 1 })
  await migrateToLatest(migrator)
  await migrator.destroy()
  db = createDb(postgres.serverUrl('postgres'), { max: 5 })
  redisServer = await startPrivateRedis({ dir: redisDir, port: await freePort(), appendOnly: false })
  redis = await connectRedis(redisServer.url)
  // This Redis stands for a running system's (as global-setup.ts marks the tests' Redis).
  await redis.set(redisKeys.restored, new Date().toISOString())
  gateway = await startGateway(db, redis, undefined, { conversionShards: 1 })
}, 60_000)
afterAll(async () => {
  await gateway?.close().catch(() => {})
  redis?.disconnect()
  await redisServer?.stop()
  await db?.destroy().catch(() => {})
  await postgres?.stop().catch(() => {})
  rmSync(pgDir, { recursive: true, force: true })
  rmSync(redisDir, { recursive: true, force: true })
})

/** Events counted in the aggregates, and conversions stored, for the experiment; null while PostgreSQL does not answer. */
const stored = async (experimentId: string) => {
  try {
    const aggregated = await db
      .selectFrom('metric_aggregates')
      .select(sql<number>`coalesce(sum(events), 0)::int`.as('n'))
      .where('experiment_id', '=', experimentId)
      .executeTakeFirstOrThrow()
    const rows = await db
      .selectFrom('conversions')
      .select(sql<number>`count(*)::int`.as('n'))
      .where('experiment_id', '=', experimentId)
      .executeTakeFirstOrThrow()
    return { counted: aggregated.n, rows: rows.n }
  } catch {
    return null
  }
}

it('counts every accepted batch exactly once after PostgreSQL was away longer than the old retry schedule, logging no error', async () => {
  const experiment = await runningExperiment(gateway, tenant, [50, 50])
  const users = Array.from({ length: 40 }, (_, i) => `outage-${i}`)
  // Every user assigned, so every event is counted in metric_aggregates.
  await db
    .insertInto('assignments')
    .values(
      users.map((u, i) => ({
        experiment_id: experiment.id,
        user_id: u,
        variant_id: experiment.variants[i % 2]!.id,
        assigned_at: new Date(Date.now() - 3_600_000),
      })),
    )
    .execute()
  const worker = await spawnServiceWithOutput('apps/analytics/dist/main.js', {
    DATABASE_URL: postgres.serverUrl('postgres'),
    REDIS_URL: redisServer.url,
    LOG_LEVEL: 'info',
    CONVERSION_QUEUE_SHARDS: '1',
    ...RETRY,
  })
  const queue = new Queue(QUEUE.conversions, { connection: redis, prefix: shard.prefix })
  const report = async () =>
    JSON.stringify({
      stored: await stored(experiment.id),
      counts: await queue.getJobCounts('wait', 'active', 'delayed', 'failed'),
      failed: (await queue.getFailed(0, 2)).map((job) => job.failedReason),
      notJson: worker.output.notJson().slice(-5),
      errors: worker.output
        .lines()
        .filter((l) => l.level >= 50)
        .slice(-3),
    })
  let accepted = 0
  const send = async (i: number) => {
    const { status } = await sendConversions(gateway, tenant, events(experiment.id, users.slice((i * 10) % 40, ((i * 10) % 40) + 10)))
    expect(status).toBe(202)
    accepted += 10
  }
  try {
    // Before: batches are stored as they come (and the gateway knows the experiment's owner).
    for (let i = 0; i < 5; i++) await send(i)
    await eventually(async () => (await stored(experiment.id))?.counted === accepted, 20_000, 'the first batches to be counted')

    await postgres.stop()
    const stoppedAt = Date.now()
    // During: the gateway accepts batches (it writes only Redis); the worker cannot store them.
    for (let i = 0; Date.now() - stoppedAt < OUTAGE_MS; i++) {
      await send(i)
      await new Promise((r) => setTimeout(r, 100))
    }
    const outageMs = Date.now() - stoppedAt
    expect(outageMs).toBeGreaterThan(OLD_SCHEDULE_MS)
    postgres = await startEmbeddedPostgres({ dataDir: pgDir, port: pgPort })

    // After: every accepted event counted, none twice, and nothing left in the failed set.
    await eventually(async () => (await stored(experiment.id))?.counted === accepted, 30_000, `all ${accepted} accepted events to be counted`).catch(
      async (error) => {
        throw new Error(`${(error as Error).message}: ${await report()}`)
      },
    )
    await new Promise((r) => setTimeout(r, 500))
    expect(await stored(experiment.id)).toEqual({ counted: accepted, rows: accepted })
    expect(await queue.getJobCounts('wait', 'active', 'delayed', 'failed')).toEqual({ wait: 0, active: 0, delayed: 0, failed: 0 })
  } finally {
    worker.child.kill('SIGTERM')
    await exited(worker.child)
    await queue.close()
  }
  await new Promise((r) => setTimeout(r, 100))
  const lines = worker.output.lines()
  expect(worker.output.notJson()).toEqual([])
  expect(lines.filter((l) => l.level >= 50)).toEqual([])
  // Batches waited longer, and were tried more often, than the old schedule allowed, each retry a warning.
  const retries = lines.filter((l) => l.level === 40 && l.queue === QUEUE.conversions && l.msg === 'job failed; it will be retried')
  expect(retries.length).toBeGreaterThan(0)
  expect(Math.max(...retries.map((l) => l.waitedMs as number))).toBeGreaterThan(OLD_SCHEDULE_MS)
  expect(Math.max(...retries.map((l) => l.attempts as number))).toBeGreaterThan(10)
  expect(Math.max(...retries.map((l) => l.nextDelayMs as number))).toBe(200)
}, 60_000)
