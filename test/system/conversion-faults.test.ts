import { configPublisher, CONVERSION_BACKLOG_KEY, QUEUE, QUEUE_PREFIX, redisKeys, toConversionJob } from '@experiments/contracts'
import { Queue, UnrecoverableError } from 'bullmq'
import type { DB } from '@experiments/db'
import { freePort, startPrivateRedis } from '@experiments/devstack'
import { connectRedis, type Redis } from '@experiments/redis'
import { sql, type Kysely } from 'kysely'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { makeConversionProcessor } from '../../apps/analytics/src/conversions/processor.js'
import { completeEndedExperiments } from '../../apps/analytics/src/maintenance/complete-ended.js'
import { aTenant, bearer } from '../../test-support/tokens.js'
import { connect, connectDb, eventually, events, exited, inParallel, runningExperiment, sendConversions, spawnService, startGateway } from './system.js'

let db: Kysely<DB>
let redis: Redis
let gateway: Awaited<ReturnType<typeof startGateway>>
const tenant = aTenant()

beforeAll(async () => {
  db = connectDb()
  redis = await connect()
  gateway = await startGateway(db, redis)
})
afterAll(async () => {
  await gateway.close()
  await db.destroy()
  redis.disconnect()
})

const totals = async (experimentId: string) =>
  db
    .selectFrom('metric_aggregates')
    .select([sql<number>`coalesce(sum(events), 0)::int`.as('events'), sql<number>`coalesce(sum(value_sum), 0)`.as('value')])
    .where('experiment_id', '=', experimentId)
    .executeTakeFirstOrThrow()
/** The conversions queue's job counts and the last failure reasons, for a timeout's message. */
const queueReport = async () => {
  const queue = new Queue(QUEUE.conversions, { connection: redis, prefix: QUEUE_PREFIX })
  try {
    const counts = await queue.getJobCounts('waiting', 'active', 'delayed', 'failed', 'prioritized')
    const failed = (await queue.getFailed(0, 4)).map((job) => job.failedReason)
    return JSON.stringify({ counts, failed })
  } finally {
    await queue.close()
  }
}
/** Assignment rows in PostgreSQL for `users`, alternating between the first two variants. */
const assignedAnHourAgo = (experiment: { id: string; variants: { id: string }[] }, users: string[]) =>
  db
    .insertInto('assignments')
    .values(users.map((u, i) => ({ experiment_id: experiment.id, user_id: u, variant_id: experiment.variants[i % 2]!.id, assigned_at: new Date(Date.now() - 3_600_000) })))
    .execute()
const unattributed = async (experimentId: string) =>
  (await db.selectFrom('unattributed_aggregates').select('not_assigned').where('experiment_id', '=', experimentId).executeTakeFirst())?.not_assigned ?? 0

describe('conversion faults', () => {
  it('counts a job once when it is retried after a failure injected mid-transaction', async () => {
    const experiment = await runningExperiment(gateway, tenant, [50, 50])
    // A trigger that fails the aggregate update once, after the conversions were inserted. A
    // sequence counts the calls because, unlike a table, it is not rolled back with the failure.
    await sql`create sequence fail_once`.execute(db)
    await sql`create or replace function fail_once_fn() returns trigger language plpgsql as $$
      begin
        if nextval('fail_once') = 1 then
          raise exception 'injected failure';
        end if;
        return new;
      end $$`.execute(db)
    await sql`create trigger fail_once_trigger before insert on unattributed_aggregates for each row execute function fail_once_fn()`.execute(db)
    // A Redis of its own: the backlog counter is compared before and after, and the maintenance
    // ticks of other files' workers reset it whenever their queue is empty.
    const ownRedisServer = await startPrivateRedis({ dir: new URL(`../../.data/test-redis-retry-${process.pid}`, import.meta.url).pathname, port: await freePort(), appendOnly: false })
    const ownRedis = await connectRedis(ownRedisServer.url)
    try {
      const process = makeConversionProcessor({ db, redis: ownRedis })
      const data = toConversionJob(tenant, events(experiment.id, ['x', 'y', 'z']), { metric: 'conversion', value: 2, timestamp: new Date().toISOString() })
      const backlogBefore = Number(await ownRedis.get(CONVERSION_BACKLOG_KEY))
      await expect(process({ id: 'retry-1', data })).rejects.toThrow(/injected failure/)
      expect(Number(await ownRedis.get(CONVERSION_BACKLOG_KEY))).toBe(backlogBefore)
      const afterFailure = await db.selectFrom('conversions').select('event_id').where('experiment_id', '=', experiment.id).execute()
      expect(afterFailure).toHaveLength(0)
      expect(await unattributed(experiment.id)).toBe(0)
      await process({ id: 'retry-1', data })
      await process({ id: 'retry-1', data })
      expect(await unattributed(experiment.id)).toBe(3)
      // Its three events came off the backlog counter once, however often the job ran.
      expect(Number(await ownRedis.get(CONVERSION_BACKLOG_KEY))).toBe(backlogBefore - 3)
      expect(await db.selectFrom('conversions').select('event_id').where('experiment_id', '=', experiment.id).execute()).toHaveLength(3)
    } finally {
      ownRedis.disconnect()
      await ownRedisServer.stop()
      await sql`drop trigger fail_once_trigger on unattributed_aggregates`.execute(db)
      await sql`drop sequence fail_once`.execute(db)
    }
  })

  it('stores jobs processed together in one statement, each counted once, an eventId sent in two of them once', async () => {
    const experiment = await runningExperiment(gateway, tenant, [50, 50])
    const users = Array.from({ length: 50 }, (_, i) => `together-${i}`)
    await assignedAnHourAgo(experiment, users)
    const process = makeConversionProcessor({ db, redis })
    const defaults = { metric: 'conversion', value: 3, timestamp: new Date().toISOString() }
    const batches = Array.from({ length: 5 }, (_, b) => events(experiment.id, users.slice(b * 10, b * 10 + 10)))
    batches[4]![0] = { ...batches[3]![0]! } // the same eventId in the fourth and fifth job
    // Two statements at once: the first two jobs go alone, the last three wait and share one.
    const results = await Promise.all(batches.map((batch, b) => process({ id: `together-${b}`, data: toConversionJob(tenant, batch, defaults) })))
    expect(results.map((r) => r.stored)).toEqual([10, 10, 10, 10, 9])
    expect(results[4]).toEqual({ stored: 9, duplicates: 1 })
    expect(await totals(experiment.id)).toEqual({ events: 49, value: 147 })
    const again = await process({ id: 'together-3', data: toConversionJob(tenant, batches[3]!, defaults) })
    expect(again).toEqual({ stored: 0, duplicates: 10 })
    expect(await totals(experiment.id)).toEqual({ events: 49, value: 147 })
  })

  it('stores a job queued by an older gateway, one object per event, like any other', async () => {
    const experiment = await runningExperiment(gateway, tenant, [50, 50])
    const process = makeConversionProcessor({ db, redis })
    const timestamp = new Date().toISOString()
    const perEvent = events(experiment.id, ['old-1', 'old-2']).map((e, i) => ({ ...e, metric: 'signup', value: i + 1, timestamp }))
    expect(await process({ id: 'per-event-1', data: { tenantId: tenant, events: perEvent } })).toEqual({ stored: 2, duplicates: 0 })
    const stored = await db.selectFrom('conversions').select(['user_id', 'metric', 'value']).where('experiment_id', '=', experiment.id).orderBy('user_id').execute()
    expect(stored).toEqual([
      { user_id: 'old-1', metric: 'signup', value: 1 },
      { user_id: 'old-2', metric: 'signup', value: 2 },
    ])
  })

  it('fails a job whose columns do not match its events for good (no retry), storing nothing', async () => {
    const experiment = await runningExperiment(gateway, tenant, [50, 50])
    const process = makeConversionProcessor({ db, redis })
    const data = toConversionJob(tenant, events(experiment.id, ['p', 'q', 'r']), { metric: 'conversion', value: 1, timestamp: new Date().toISOString() })
    const failure = process({ id: 'short-column', data: { ...data, userIds: ['p'] } })
    await expect(failure).rejects.toThrow(UnrecoverableError)
    await expect(failure).rejects.toThrow('malformed conversions job: userIds holds 1 values for 3 events')
    await expect(process({ id: 'not-a-job', data: { tenantId: tenant, events: [] } })).rejects.toThrow(/malformed conversions job/)
    expect(await db.selectFrom('conversions').select('event_id').where('experiment_id', '=', experiment.id).execute()).toHaveLength(0)
  })

  // The shipped default (64 jobs at once, stored together) and a small concurrency (statements of few jobs).
  it.each([
    ['its default concurrency', {}],
    ['a concurrency of 4', { ANALYTICS_CONCURRENCY: '4' }],
  ])('loses nothing and counts nothing twice when the worker, at %s, is killed with SIGKILL during a 100,000-event load', async (_name, workerEnv) => {
    const experiment = await runningExperiment(gateway, tenant, [50, 50])
    const users = Array.from({ length: 5000 }, (_, i) => `load-${i}`)
    // Every user assigned in PostgreSQL, so every event is attributed to a variant.
    await assignedAnHourAgo(experiment, users)
    const batches = Array.from({ length: 1000 }, (_, b) =>
      events(experiment.id, Array.from({ length: 100 }, (_, i) => users[(b * 100 + i) % users.length]!), { value: (b % 7) + 1 }),
    )
    const expectedValue = batches.reduce((sum, batch, b) => sum + batch.length * ((b % 7) + 1), 0)

    const worker = () => spawnService('apps/analytics/dist/main.js', workerEnv)
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
      await eventually(async () => (await totals(experiment.id)).events >= 100_000, 120_000, 'all 100,000 events to be counted').catch(
        async (error) => {
          throw new Error(`${(error as Error).message}; counted ${(await totals(experiment.id)).events}; queue ${await queueReport()}`)
        },
      )
      await new Promise((r) => setTimeout(r, 1000))
      const final = await totals(experiment.id)
      expect(final.events).toBe(100_000)
      expect(final.value).toBe(expectedValue)
      const distinct = await db.selectFrom('converters').select(db.fn.countAll<number>().as('n')).where('experiment_id', '=', experiment.id).executeTakeFirstOrThrow()
      expect(Number(distinct.n)).toBe(5000)
    } finally {
      first.child.kill('SIGTERM')
      await exited(first.child)
    }
  }, 180_000)

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

describe('endDate', () => {
  it('completes experiments whose endDate has passed, withdraws their config and stores a final snapshot', async () => {
    const experiment = await runningExperiment(gateway, tenant, [50, 50], { endDate: new Date(Date.now() + 60_000).toISOString() })
    const notYet = await runningExperiment(gateway, tenant, [50, 50], { endDate: new Date(Date.now() + 3_600_000).toISOString() })
    await db.updateTable('experiments').set({ end_date: new Date(Date.now() - 1000) }).where('id', '=', experiment.id).execute()
    const completed = await completeEndedExperiments({ db, publisher: configPublisher(redis) })
    expect(completed).toContain(experiment.id)
    expect(completed).not.toContain(notYet.id)
    expect(await redis.get(redisKeys.status(experiment.id))).toBe('completed')
    const view = await gateway.inject({ method: 'GET', url: `/api/experiments/${experiment.id}`, headers: bearer(tenant) })
    expect(view.json().data.status).toBe('completed')
    const snapshots = await gateway.inject({ method: 'GET', url: `/api/experiments/${experiment.id}/snapshots`, headers: bearer(tenant) })
    expect(snapshots.json().meta.total).toBe(1)
    expect(await completeEndedExperiments({ db, publisher: configPublisher(redis) })).not.toContain(experiment.id)
  })
})

