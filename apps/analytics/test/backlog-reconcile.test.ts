import { CONVERSION_JOB_OPTIONS, conversionShard, QUEUE, toConversionJob } from '@experiments/contracts'
import { freePort, startPrivateRedis, type RunningRedis } from '@experiments/devstack'
import { connectRedis, type RedisClient } from '@experiments/redis'
import { Queue } from 'bullmq'
import { afterAll, beforeAll, expect, it } from 'vitest'
import { events } from '../../../test-support/conversions.js'
import { aTenant } from '../../../test-support/tokens.js'
import { reconcileBacklog } from '../src/maintenance/backlog-reconcile.js'

// A Redis of its own: resetting the backlog counter must not touch other test files' counter.
let redisServer: RunningRedis
let redis: RedisClient
let queue: Queue
const tenant = aTenant()
// One conversions shard: its queue and its backlog counter.
const shard = conversionShard(0, 1)

beforeAll(async () => {
  const dir = new URL(`../../../.data/test-redis-backlog-reconcile-${process.pid}`, import.meta.url).pathname
  redisServer = await startPrivateRedis({ dir, port: await freePort(), appendOnly: false })
  redis = await connectRedis(redisServer.url)
  queue = new Queue(QUEUE.conversions, { connection: redis, prefix: shard.prefix })
})
afterAll(async () => {
  await queue.close()
  redis.disconnect()
  await redisServer.stop()
})

it('clears a backlog count that no pending job accounts for, and leaves it while jobs are pending', async () => {
  // Events counted by a gateway that died before adding their job.
  await redis.set(shard.backlogKey, 700)
  expect(await reconcileBacklog([{ shard, queue }], redis)).toBe(700)
  expect(await redis.get(shard.backlogKey)).toBe('0')

  // A waiting job (no worker runs on this Redis yet): its events are real backlog.
  const job = toConversionJob(tenant, events('exp_pending', ['u1', 'u2', 'u3']), { metric: 'conversion', value: 1, timestamp: new Date().toISOString() })
  await queue.add(QUEUE.conversions, job, CONVERSION_JOB_OPTIONS)
  await redis.set(shard.backlogKey, 3)
  expect(await reconcileBacklog([{ shard, queue }], redis)).toBeNull()
  expect(await redis.get(shard.backlogKey)).toBe('3')
  await queue.drain()
  await redis.set(shard.backlogKey, 0)
})
