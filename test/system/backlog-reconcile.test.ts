import { CONVERSION_BACKLOG_KEY, CONVERSION_JOB_OPTIONS, QUEUE, QUEUE_PREFIX, toConversionJob } from '@experiments/contracts'
import type { DB } from '@experiments/db'
import { freePort, startPrivateRedis, type RunningRedis } from '@experiments/devstack'
import { connectRedis, type Redis } from '@experiments/redis'
import { Queue } from 'bullmq'
import type { Kysely } from 'kysely'
import { afterAll, beforeAll, expect, it } from 'vitest'
import { reconcileBacklog } from '../../apps/analytics/src/maintenance/backlog-reconcile.js'
import { aTenant } from '../../test-support/tokens.js'
import { connectDb, eventually, events, runningExperiment, sendConversions, startAnalyticsWorkers, startGateway } from './system.js'

// A Redis of its own: resetting the backlog counter must not touch other test files' counter.
let db: Kysely<DB>
let redisServer: RunningRedis
let redis: Redis
let queue: Queue
const tenant = aTenant()

beforeAll(async () => {
  db = connectDb()
  const dir = new URL(`../../.data/test-redis-backlog-${process.pid}`, import.meta.url).pathname
  redisServer = await startPrivateRedis({ dir, port: await freePort(), appendOnly: false })
  redis = await connectRedis(redisServer.url)
  queue = new Queue(QUEUE.conversions, { connection: redis, prefix: QUEUE_PREFIX })
})
afterAll(async () => {
  await queue.close()
  redis.disconnect()
  await redisServer.stop()
  await db.destroy()
})

it('clears a backlog count that no pending job accounts for, and leaves it while jobs are pending', async () => {
  // Events counted by a gateway that died before adding their job.
  await redis.set(CONVERSION_BACKLOG_KEY, 700)
  expect(await reconcileBacklog(queue, redis)).toBe(700)
  expect(await redis.get(CONVERSION_BACKLOG_KEY)).toBe('0')

  // A waiting job (no worker runs on this Redis yet): its events are real backlog.
  const job = toConversionJob(tenant, events('exp_pending', ['u1', 'u2', 'u3']), { metric: 'conversion', value: 1, timestamp: new Date().toISOString() })
  await queue.add(QUEUE.conversions, job, CONVERSION_JOB_OPTIONS)
  await redis.set(CONVERSION_BACKLOG_KEY, 3)
  expect(await reconcileBacklog(queue, redis)).toBeNull()
  expect(await redis.get(CONVERSION_BACKLOG_KEY)).toBe('3')
  await queue.drain()
  await redis.set(CONVERSION_BACKLOG_KEY, 0)
})

it('lifts a 429 left by a lost batch once the analytics workers find the queue empty', async () => {
  const gateway = await startGateway(db, redis, { maxEvents: 10, maxRedisMemoryBytes: 0 })
  let workers: Awaited<ReturnType<typeof startAnalyticsWorkers>> | undefined
  try {
    const experiment = await runningExperiment(gateway, tenant, [50, 50])
    await redis.set(CONVERSION_BACKLOG_KEY, 10)
    expect((await sendConversions(gateway, tenant, events(experiment.id, ['a']))).status).toBe(429)

    workers = await startAnalyticsWorkers(db, redis, { reconcileEveryMs: 200 })
    await eventually(async () => (await sendConversions(gateway, tenant, events(experiment.id, ['a']))).status === 202, 10_000, 'ingestion to accept again')
    await eventually(
      async () => (await db.selectFrom('conversions').select('event_id').where('experiment_id', '=', experiment.id).execute()).length === 1,
      10_000,
      'the accepted event to be stored',
    )
  } finally {
    await workers?.close()
    await gateway.close()
  }
})
