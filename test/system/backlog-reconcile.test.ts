import { conversionShard } from '@experiments/contracts'
import type { DB } from '@experiments/db'
import { freePort, startPrivateRedis, type RunningRedis } from '@experiments/devstack'
import { connectRedis, type RedisClient } from '@experiments/redis'
import type { Kysely } from 'kysely'
import { afterAll, beforeAll, expect, it } from 'vitest'
import { aTenant } from '../../test-support/tokens.js'
import { connectDb, eventually, events, runningExperiment, sendConversions, startAnalyticsWorkers, startGateway } from './system.js'

// A Redis of its own: resetting the backlog counter must not touch other test files' counter.
let db: Kysely<DB>
let redisServer: RunningRedis
let redis: RedisClient
const tenant = aTenant()
// One conversions shard for the gateway and the workers: the test sets its backlog counter.
const shard = conversionShard(0, 1)

beforeAll(async () => {
  db = connectDb()
  const dir = new URL(`../../.data/test-redis-backlog-${process.pid}`, import.meta.url).pathname
  redisServer = await startPrivateRedis({ dir, port: await freePort(), appendOnly: false })
  redis = await connectRedis(redisServer.url)
})
afterAll(async () => {
  redis.disconnect()
  await redisServer.stop()
  await db.destroy()
})

it('lifts a 429 left by a lost batch once the analytics workers find the queue empty', async () => {
  const gateway = await startGateway(db, redis, { maxEvents: 10, maxRedisMemoryBytes: 0 }, { conversionShards: 1 })
  let workers: Awaited<ReturnType<typeof startAnalyticsWorkers>> | undefined
  try {
    const experiment = await runningExperiment(gateway, tenant, [50, 50])
    await redis.set(shard.backlogKey, 10)
    expect((await sendConversions(gateway, tenant, events(experiment.id, ['a']))).status).toBe(429)

    workers = await startAnalyticsWorkers(db, redis, { reconcileEveryMs: 200, conversionShards: 1 })
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
