import { rmSync } from 'node:fs'
import { CONVERSION_JOB_OPTIONS, conversionShard, QUEUE } from '@experiments/contracts'
import type { DB } from '@experiments/db'
import { freePort, startPrivateRedis, type RunningRedis } from '@experiments/devstack'
import { connectRedis, type RedisClient } from '@experiments/redis'
import { Queue } from 'bullmq'
import type { Kysely } from 'kysely'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { connectDb } from '../../../test-support/connections.js'
import { eventually } from '../../../test-support/eventually.js'
import { loggedAnalyticsWorkers, unreachableDb } from '../../../test-support/services.js'
import { aTenant } from '../../../test-support/tokens.js'
import type { WorkerOptions } from '../src/workers.js'

// A Redis of its own, so this file's worker is the one that takes the job.
const dir = new URL(`../../../.data/test-redis-worker-failed-jobs-${process.pid}`, import.meta.url).pathname
let db: Kysely<DB>
let redisServer: RunningRedis
let redis: RedisClient
let queue: Queue
// The workers consume one conversions shard, whose queue the jobs are added to.
const shard = conversionShard(0, 1)

beforeAll(async () => {
  db = connectDb()
  redisServer = await startPrivateRedis({ dir, port: await freePort(), appendOnly: false })
  redis = await connectRedis(redisServer.url)
  queue = new Queue(QUEUE.conversions, { connection: redis, prefix: shard.prefix })
})
afterAll(async () => {
  await queue.close()
  redis.disconnect()
  await redisServer.stop()
  await db.destroy()
  rmSync(dir, { recursive: true, force: true })
})

/** The analytics workers on `workerDb` and this file's Redis, logging into `lines`. */
const workersOn = (workerDb: Kysely<DB>, options: Partial<WorkerOptions> = {}) => loggedAnalyticsWorkers(workerDb, redis, { conversionShards: 1, ...options })

describe('a job that cannot succeed', () => {
  it('is failed at once, logged at error level with its reason, when malformed', async () => {
    const workers = await workersOn(db)
    try {
      // Columns of different lengths: the worker fails it as unrecoverable at once.
      const job = await queue.add(
        QUEUE.conversions,
        { tenantId: 't', eventIds: ['e1', 'e2'], userIds: ['u1'], experimentIds: 'x', metrics: 'm', values: 1, timestamps: 't' },
        CONVERSION_JOB_OPTIONS,
      )
      await eventually(async () => workers.lines.some((l) => l.jobId === job.id), 10_000, 'the failure to be logged')
      expect(workers.lines.filter((l) => l.jobId === job.id).map((l) => [l.level, l.msg, l.reason])).toEqual([
        [
          50,
          'job failed for good: retrying cannot succeed; it stays in the failed set for a person to look at',
          'malformed conversions job: userIds holds 1 values for 2 events',
        ],
      ])
      expect(await job.getState()).toBe('failed')
    } finally {
      await workers.close()
    }
  })

  it('is failed at once, logged at error level with its reason, when PostgreSQL refuses a value', async () => {
    const workers = await workersOn(db)
    try {
      // Well formed, but no timestamp PostgreSQL can read: retrying cannot store it.
      const data = {
        tenantId: aTenant(),
        eventIds: ['e1', 'e2'],
        userIds: ['u1', 'u2'],
        experimentIds: 'x',
        metrics: 'conversion',
        values: 1,
        timestamps: 'not-a-date',
      }
      const job = await queue.add(QUEUE.conversions, data, CONVERSION_JOB_OPTIONS)
      await eventually(async () => workers.lines.some((l) => l.jobId === job.id), 10_000, 'the failure to be logged')
      const logged = workers.lines.filter((l) => l.jobId === job.id)
      expect(logged.map((l) => [l.level, l.msg, l.attempts])).toEqual([
        [50, 'job failed for good: retrying cannot succeed; it stays in the failed set for a person to look at', 1],
      ])
      expect(logged[0]!.reason).toBe(
        'cannot succeed, not retried: PostgreSQL refused it (SQLSTATE 22007): invalid input syntax for type timestamp with time zone: "not-a-date"',
      )
      const failed = await queue.getJob(job.id!)
      expect([await failed!.getState(), failed!.attemptsMade, failed!.failedReason]).toEqual(['failed', 1, logged[0]!.reason])
    } finally {
      await workers.close()
    }
  })
})

describe('PostgreSQL out of reach', () => {
  it('retries a batch for as long as it takes, at warn, and reports how many batches wait and for how long', async () => {
    const workerDb = await unreachableDb()
    const workers = await workersOn(workerDb, { retry: { delayMs: 10, maxDelayMs: 100 }, waitingReportEveryMs: 300 })
    try {
      const data = {
        tenantId: aTenant(),
        eventIds: ['e1'],
        userIds: ['u1'],
        experimentIds: 'x',
        metrics: 'conversion',
        values: 1,
        timestamps: new Date().toISOString(),
      }
      const jobs = await Promise.all([1, 2, 3].map(() => queue.add(QUEUE.conversions, data, CONVERSION_JOB_OPTIONS)))
      const ids = new Set(jobs.map((j) => j.id))
      // Past the 10 attempts after which jobs used to fail for good.
      const retried = () => workers.lines.filter((l) => ids.has(l.jobId) && l.msg === 'job failed; it will be retried')
      await eventually(async () => retried().some((l) => (l.attempts as number) > 12), 10_000, 'more than 12 attempts of a job')
      const report = () => workers.lines.filter((l) => l.waitingForRetry === 3)
      await eventually(async () => report().length > 0, 5000, 'a report of the waiting batches')

      expect(workers.lines.filter((l) => l.level >= 50)).toEqual([])
      const first = retried().find((l) => l.attempts === 1)!
      expect(first).toMatchObject({ level: 40, queue: QUEUE.conversions, nextDelayMs: 10, err: { code: 'ECONNREFUSED' } })
      const later = retried().find((l) => l.attempts === 12)!
      expect(later).toMatchObject({ level: 40, nextDelayMs: 100, code: 'ECONNREFUSED' })
      expect(later.waitedMs).toBeGreaterThan(0)
      const [summary] = report()
      expect(summary).toMatchObject({ level: 40, waitingForRetry: 3, failed: expect.any(Number) })
      expect(summary!.oldestWaitMs).toBeGreaterThan(0)
      expect(summary!.msg).toMatch(/^3 acknowledged conversion batch\(es\) wait for a retry, the oldest for \d+ s/)
      expect(await Promise.all(jobs.map((j) => j.getState()))).not.toContain('failed')
    } finally {
      await workers.close()
      await workerDb.destroy()
      await queue.obliterate({ force: true })
    }
  })
})
