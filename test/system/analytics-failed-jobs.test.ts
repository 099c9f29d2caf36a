import { rmSync } from 'node:fs'
import { QUEUE } from '@experiments/contracts'
import type { DB } from '@experiments/db'
import { freePort, startPrivateRedis, type RunningRedis } from '@experiments/devstack'
import { connectRedis, type RedisClient } from '@experiments/redis'
import type { Kysely } from 'kysely'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { aTenant, bearer } from '../../test-support/tokens.js'
import { connectDb, eventually, loggedAnalyticsWorkers, runningExperiment, startGateway, unreachableDb } from './system.js'

// A Redis of its own, so this file's worker is the one that takes the job.
const dir = new URL(`../../.data/test-redis-failed-jobs-${process.pid}`, import.meta.url).pathname
let db: Kysely<DB>
let redisServer: RunningRedis
let redis: RedisClient

beforeAll(async () => {
  db = connectDb()
  redisServer = await startPrivateRedis({ dir, port: await freePort(), appendOnly: false })
  redis = await connectRedis(redisServer.url)
})
afterAll(async () => {
  redis.disconnect()
  await redisServer.stop()
  await db.destroy()
  rmSync(dir, { recursive: true, force: true })
})

/** The analytics workers on `workerDb` and this file's Redis, logging into `lines`. */
const workersOn = (workerDb: Kysely<DB>) => loggedAnalyticsWorkers(workerDb, redis)

describe('PostgreSQL out of reach', () => {
  it('answers compute-results with 503 SERVICE_UNAVAILABLE when the worker cannot reach PostgreSQL, and logs no error', async () => {
    const gateway = await startGateway(db, redis)
    const workerDb = await unreachableDb()
    const workers = await workersOn(workerDb)
    try {
      const tenant = aTenant()
      const experiment = await runningExperiment(gateway, tenant, [50, 50])
      const response = await gateway.inject({ method: 'POST', url: `/api/experiments/${experiment.id}/compute-results`, headers: bearer(tenant), payload: {} })
      expect(response.statusCode).toBe(503)
      expect(response.headers['retry-after']).toBe('2')
      expect(response.json().error).toEqual({
        code: 'SERVICE_UNAVAILABLE',
        message: 'results cannot be computed now: a backing service is unavailable; retry in 2 s',
      })
      // The worker logs once BullMQ has stored the failure, which the gateway may hear of first.
      const logged = () => workers.lines.filter((l) => l.queue === QUEUE.computeResults)
      await eventually(async () => logged().length > 0, 5000, 'the failure to be logged')
      expect(logged().map((l) => [l.level, l.msg])).toEqual([[40, 'compute-results failed: a dependency is unavailable; the caller is answered 503']])
      expect(workers.lines.filter((l) => l.level >= 50)).toEqual([])
    } finally {
      await gateway.close()
      await workers.close()
      await workerDb.destroy()
    }
  })
})
