import { CONVERSION_JOB_OPTIONS, QUEUE, QUEUE_PREFIX } from '@experiments/contracts'
import type { DB } from '@experiments/db'
import { freePort, startPrivateRedis, type RunningRedis } from '@experiments/devstack'
import { connectRedis, type Redis } from '@experiments/redis'
import { Queue } from 'bullmq'
import type { Kysely } from 'kysely'
import pino from 'pino'
import { afterAll, beforeAll, expect, it } from 'vitest'
import { startWorkers } from '../../apps/analytics/src/workers.js'
import { blockingConnections } from '../../test-support/context.js'
import { connectDb, eventually } from './system.js'

// A Redis of its own, so this file's worker is the one that takes the job.
let db: Kysely<DB>
let redisServer: RunningRedis
let redis: Redis

beforeAll(async () => {
  db = connectDb()
  const dir = new URL(`../../.data/test-redis-failed-jobs-${process.pid}`, import.meta.url).pathname
  redisServer = await startPrivateRedis({ dir, port: await freePort(), appendOnly: false })
  redis = await connectRedis(redisServer.url)
})
afterAll(async () => {
  redis.disconnect()
  await redisServer.stop()
  await db.destroy()
})

it('logs a job that failed for good at error level, so an alert on errors sees it', async () => {
  const lines: { level: number; msg: string; jobId?: string }[] = []
  const log = pino({ level: 'info' }, { write: (line: string) => void lines.push(JSON.parse(line)) })
  const blocking = blockingConnections(redisServer.url)
  const workers = await startWorkers({ db, redis, bullConnection: blocking.create, concurrency: 1, log })
  const queue = new Queue(QUEUE.conversions, { connection: redis, prefix: QUEUE_PREFIX })
  try {
    // Columns of different lengths: the worker fails it as unrecoverable at once.
    const job = await queue.add(QUEUE.conversions, { tenantId: 't', eventIds: ['e1', 'e2'], userIds: ['u1'], experimentIds: 'x', metrics: 'm', values: 1, timestamps: 't' }, CONVERSION_JOB_OPTIONS)
    await eventually(async () => lines.some((l) => l.jobId === job.id), 10_000, 'the failure to be logged')
    expect(lines.filter((l) => l.jobId === job.id).map((l) => [l.level, l.msg])).toEqual([[50, 'job failed for good; it stays in the failed set for retrying by hand']])
  } finally {
    await queue.close()
    await workers.close()
    blocking.closeAll()
  }
})
