import { conversionShard, toConversionJob } from '@experiments/contracts'
import type { DB } from '@experiments/db'
import { freePort, startPrivateRedis } from '@experiments/devstack'
import { connectRedis, type RedisClient } from '@experiments/redis'
import { UnrecoverableError } from 'bullmq'
import { sql, type Kysely } from 'kysely'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { connect, connectDb } from '../../../test-support/connections.js'
import { assignAnHourAgo, conversionTotals, events } from '../../../test-support/conversions.js'
import { runningExperiment, startGateway } from '../../../test-support/services.js'
import { aTenant } from '../../../test-support/tokens.js'
import { makeConversionProcessor } from '../src/conversions/processor.js'

// The processor called directly, as BullMQ calls it; the experiments come through the gateway.
let db: Kysely<DB>
let redis: RedisClient
let gateway: Awaited<ReturnType<typeof startGateway>>
const tenant = aTenant()
// The shard whose jobs the processor is called for, as a worker of one conversions shard calls it.
const shard = conversionShard(0, 1)

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

const totals = (experimentId: string) => conversionTotals(db, experimentId)
const assignedAnHourAgo = (experiment: { id: string; variants: { id: string }[] }, users: string[]) => assignAnHourAgo(db, experiment, users)
const unattributed = async (experimentId: string) =>
  (await db.selectFrom('unattributed_aggregates').select('not_assigned').where('experiment_id', '=', experimentId).executeTakeFirst())?.not_assigned ?? 0

describe('makeConversionProcessor', () => {
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
    const ownRedisServer = await startPrivateRedis({
      dir: new URL(`../../../.data/test-redis-retry-${process.pid}`, import.meta.url).pathname,
      port: await freePort(),
      appendOnly: false,
    })
    const ownRedis = await connectRedis(ownRedisServer.url)
    try {
      const process = makeConversionProcessor({ db, redis: ownRedis })(shard)
      const data = toConversionJob(tenant, events(experiment.id, ['x', 'y', 'z']), { metric: 'conversion', value: 2, timestamp: new Date().toISOString() })
      const backlogBefore = Number(await ownRedis.get(shard.backlogKey))
      await expect(process({ id: 'retry-1', data })).rejects.toThrow(/injected failure/)
      expect(Number(await ownRedis.get(shard.backlogKey))).toBe(backlogBefore)
      const afterFailure = await db.selectFrom('conversions').select('event_id').where('experiment_id', '=', experiment.id).execute()
      expect(afterFailure).toHaveLength(0)
      expect(await unattributed(experiment.id)).toBe(0)
      await process({ id: 'retry-1', data })
      await process({ id: 'retry-1', data })
      expect(await unattributed(experiment.id)).toBe(3)
      // Its three events came off the backlog counter once, however often the job ran.
      expect(Number(await ownRedis.get(shard.backlogKey))).toBe(backlogBefore - 3)
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
    const process = makeConversionProcessor({ db, redis })(shard)
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

  it('fails a job whose columns do not match its events for good (no retry), storing nothing', async () => {
    const experiment = await runningExperiment(gateway, tenant, [50, 50])
    const process = makeConversionProcessor({ db, redis })(shard)
    const data = toConversionJob(tenant, events(experiment.id, ['p', 'q', 'r']), { metric: 'conversion', value: 1, timestamp: new Date().toISOString() })
    const failure = process({ id: 'short-column', data: { ...data, userIds: ['p'] } })
    await expect(failure).rejects.toThrow(UnrecoverableError)
    await expect(failure).rejects.toThrow('malformed conversions job: userIds holds 1 values for 3 events')
    await expect(process({ id: 'not-a-job', data: { tenantId: tenant, events: [] } })).rejects.toThrow(/malformed conversions job/)
    expect(await db.selectFrom('conversions').select('event_id').where('experiment_id', '=', experiment.id).execute()).toHaveLength(0)
  })
})
