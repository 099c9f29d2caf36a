import { conversionShard, QUEUE } from '@experiments/contracts'
import { Queue } from 'bullmq'
import type { DB } from '@experiments/db'
import { freePort, startPrivateRedis } from '@experiments/devstack'
import { connectRedis, type RedisClient } from '@experiments/redis'
import type { Kysely } from 'kysely'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { aTenant } from '../../test-support/tokens.js'
import {
  assignAnHourAgo,
  connect,
  connectDb,
  conversionTotals,
  eventually,
  events,
  exited,
  inParallel,
  runningExperiment,
  sendConversions,
  spawnService,
  startGateway,
} from './system.js'

let db: Kysely<DB>
let redis: RedisClient
let gateway: Awaited<ReturnType<typeof startGateway>>
const tenant = aTenant()
// The gateway and the workers of the load use one conversions shard, whose queue a timeout reports on.
const shard = conversionShard(0, 1)

beforeAll(async () => {
  db = connectDb()
  redis = await connect()
  gateway = await startGateway(db, redis, undefined, { conversionShards: 1 })
})
afterAll(async () => {
  await gateway.close()
  await db.destroy()
  redis.disconnect()
})

const totals = (experimentId: string) => conversionTotals(db, experimentId)
/** The conversions queue's job counts and the last failure reasons, for a timeout's message. */
const queueReport = async () => {
  const queue = new Queue(QUEUE.conversions, { connection: redis, prefix: shard.prefix })
  try {
    const counts = await queue.getJobCounts('waiting', 'active', 'delayed', 'failed', 'prioritized')
    const failed = (await queue.getFailed(0, 4)).map((job) => job.failedReason)
    return JSON.stringify({ counts, failed })
  } finally {
    await queue.close()
  }
}
const assignedAnHourAgo = (experiment: { id: string; variants: { id: string }[] }, users: string[]) => assignAnHourAgo(db, experiment, users)

describe('conversion faults', () => {
  // The shipped default (64 jobs at once, stored together) and a small concurrency (statements of few jobs).
  it.each([
    ['its default concurrency', {}],
    ['a concurrency of 4', { ANALYTICS_CONCURRENCY: '4' }],
  ])(
    'loses nothing and counts nothing twice when the worker, at %s, is killed with SIGKILL during a 100,000-event load',
    async (_name, workerEnv) => {
      const experiment = await runningExperiment(gateway, tenant, [50, 50])
      const users = Array.from({ length: 5000 }, (_, i) => `load-${i}`)
      // Every user assigned in PostgreSQL, so every event is attributed to a variant.
      await assignedAnHourAgo(experiment, users)
      const batches = Array.from({ length: 1000 }, (_, b) =>
        events(
          experiment.id,
          Array.from({ length: 100 }, (_, i) => users[(b * 100 + i) % users.length]!),
          { value: (b % 7) + 1 },
        ),
      )
      const expectedValue = batches.reduce((sum, batch, b) => sum + batch.length * ((b % 7) + 1), 0)

      const worker = () => spawnService('apps/analytics/dist/main.js', { CONVERSION_QUEUE_SHARDS: '1', ...workerEnv })
      let first = await worker()
      let killed = false
      await inParallel(batches, 8, async (batch) => {
        const { status } = await sendConversions(gateway, tenant, batch)
        expect(status).toBe(202)
        if (!killed && (await totals(experiment.id)).events > 20_000) {
          killed = true
          first.child.kill('SIGKILL')
        }
      })
      if (!killed) {
        await eventually(async () => (await totals(experiment.id)).events > 20_000, 30_000, 'the first worker to store some events')
        first.child.kill('SIGKILL')
      }
      await exited(first.child)
      const partial = (await totals(experiment.id)).events
      expect(partial).toBeLessThan(100_000)
      first = await worker()
      try {
        await eventually(async () => (await totals(experiment.id)).events >= 100_000, 120_000, 'all 100,000 events to be counted').catch(async (error) => {
          throw new Error(`${(error as Error).message}; counted ${(await totals(experiment.id)).events}; queue ${await queueReport()}`)
        })
        await new Promise((r) => setTimeout(r, 1000))
        const final = await totals(experiment.id)
        expect(final.events).toBe(100_000)
        expect(final.value).toBe(expectedValue)
        const distinct = await db
          .selectFrom('converters')
          .select(db.fn.countAll<number>().as('n'))
          .where('experiment_id', '=', experiment.id)
          .executeTakeFirstOrThrow()
        expect(Number(distinct.n)).toBe(5000)
      } finally {
        first.child.kill('SIGTERM')
        await exited(first.child)
      }
    },
    180_000,
  )

  it('never answers 202 for a batch it loses when Redis stops during ingestion', async () => {
    const experiment = await runningExperiment(gateway, tenant, [50, 50])
    const dir = new URL(`../../.data/test-redis-aof-${process.pid}`, import.meta.url).pathname
    const port = await freePort()
    let privateRedis = await startPrivateRedis({ dir, port, appendOnly: true })
    const ownRedis = await connectRedis(privateRedis.url)
    const ownDb = connectDb()
    const isolated = await startGateway(ownDb, ownRedis)
    const accepted: string[] = []
    const refused: number[] = []
    let sending = true
    const loop = async () => {
      while (sending) {
        const batch = events(experiment.id, ['r1', 'r2', 'r3'])
        const { status } = await sendConversions(isolated, tenant, batch)
        if (status === 202) accepted.push(...batch.map((e) => e.eventId))
        else refused.push(status)
      }
    }
    const loops = [loop(), loop(), loop()]
    await eventually(async () => accepted.length >= 30, 20_000, 'some batches to be accepted')
    await privateRedis.stop()
    await new Promise((r) => setTimeout(r, 300))
    sending = false
    await Promise.all(loops)
    expect(refused.length).toBeGreaterThan(0)
    expect(new Set(refused)).toEqual(new Set([503]))
    expect(accepted.length).toBeGreaterThan(0)

    // Redis comes back from its append-only file; a worker stores everything that got a 202.
    privateRedis = await startPrivateRedis({ dir, port, appendOnly: true })
    const worker = await spawnService('apps/analytics/dist/main.js', { REDIS_URL: privateRedis.url })
    try {
      await eventually(
        async () =>
          (await db.selectFrom('conversions').select('event_id').where('tenant_id', '=', tenant).where('event_id', 'in', accepted).execute()).length ===
          accepted.length,
        30_000,
        'every accepted event to be stored',
      )
    } finally {
      worker.child.kill('SIGTERM')
      await exited(worker.child)
      await isolated.close().catch(() => {})
      ownRedis.disconnect()
      await ownDb.destroy()
      await privateRedis.stop()
    }
  }, 60_000)
})
