import { conversionShard, conversionShards, CONVERSION_SHARD_REGISTRY, QUEUE } from '@experiments/contracts'
import type { DB } from '@experiments/db'
import { keySlot, masterOfKey, type Cluster, type RedisClient } from '@experiments/redis'
import { Queue } from 'bullmq'
import type { Kysely } from 'kysely'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { onCluster } from '../../test-support/context.js'
import { aTenant } from '../../test-support/tokens.js'
import { connect, connectDb, eventually, events, runningExperiment, sendConversions, startAnalyticsWorkers, startGateway } from './system.js'

let db: Kysely<DB>
let redis: RedisClient
const tenant = aTenant()

beforeAll(async () => {
  db = connectDb()
  redis = await connect()
})
afterAll(async () => {
  await db.destroy()
  redis.disconnect()
})

const storedCount = async (eventIds: string[]) =>
  (await db.selectFrom('conversions').select('event_id').where('tenant_id', '=', tenant).where('event_id', 'in', eventIds).execute()).length
const waitingIn = async (prefix: string) => {
  const queue = new Queue(QUEUE.conversions, { connection: redis, prefix })
  try {
    return await queue.count()
  } finally {
    await queue.close()
  }
}

describe('conversion queue shards (CONVERSION_QUEUE_SHARDS)', () => {
  it('gives each shard a hash tag of its own, spread over the slot range, the same in every process', () => {
    for (const count of [1, 2, 3, 4, 16, 64]) {
      const shards = conversionShards(count)
      expect(new Set(shards.map((s) => s.prefix)).size).toBe(count)
      shards.forEach((shard, index) => {
        const slot = keySlot(shard.prefix)
        // Every key of the shard is in its slot, so each of its scripts runs on one master.
        expect([keySlot(shard.backlogKey), keySlot(shard.countedKey('42')), keySlot(`${shard.prefix}:conversions:wait`)]).toEqual([slot, slot, slot])
        // Shard i of n sits in the i-th n-th of the slots: on 3 masters with equal slot runs, 4 shards land 1, 2, 1.
        expect(Math.floor((slot * count) / 16384)).toBe(index)
      })
    }
    expect(conversionShard(3, 4).prefix).toBe(conversionShards(4)[3]!.prefix)
  })

  it.runIf(onCluster())('on the cluster, 4 shards use all 3 masters, none more than 2', async () => {
    const masters = conversionShards(4).map((shard) => (redis as Cluster).slots[keySlot(shard.prefix)]![0])
    const perMaster = [...new Set(masters)].map((m) => masters.filter((x) => x === m).length)
    expect(perMaster.sort()).toEqual([1, 1, 2])
  })

  /** Each shard's master now (one name on one Redis). */
  const masterOf = (prefix: string) => masterOfKey(redis, prefix)!

  it('spreads batches over the shards, each Redis master an equal share, and counts every event once', async () => {
    const gateway = await startGateway(db, redis, undefined, { conversionShards: 4 })
    const experiment = await runningExperiment(gateway, tenant, [50, 50])
    const batches = Array.from({ length: 12 }, (_, i) => events(experiment.id, [`spread-${i}`]))
    // No worker yet: the batches wait in their shards.
    for (const batch of batches) expect((await sendConversions(gateway, tenant, batch)).status).toBe(202)
    const shards = conversionShards(4)
    const waiting = await Promise.all(shards.map((s) => waitingIn(s.prefix)))
    const perMaster = new Map<string, number>()
    shards.forEach((shard, i) => perMaster.set(masterOf(shard.prefix), (perMaster.get(masterOf(shard.prefix)) ?? 0) + waiting[i]!))
    // Other tests' batches may wait in the same shards too: at least this test's share is there.
    // On one Redis, 3 a shard; on the cluster (shards 1, 2, 1 over 3 masters) 4 a master, where
    // plain round robin would leave 3 on the masters holding one shard.
    if (onCluster()) expect([...perMaster.values()].every((n) => n >= 4)).toBe(true)
    else expect(waiting.every((n) => n >= 3)).toBe(true)
    const workers = await startAnalyticsWorkers(db, redis, { conversionShards: 4 })
    try {
      const eventIds = batches.flat().map((e) => e.eventId)
      await eventually(async () => (await storedCount(eventIds)) === eventIds.length, 15_000, 'every batch to be stored')
    } finally {
      await workers.close()
      await gateway.close()
    }
  })

  it('sizes each shard worker by its share of the batches: equal on one Redis, a master share split among its shards on the cluster', async () => {
    const workers = await startAnalyticsWorkers(db, redis, { conversionShards: 4, concurrency: 12 })
    try {
      const own = new Set(conversionShards(4).map((s) => s.prefix))
      const concurrency = Object.fromEntries(
        workers
          .conversionShards()
          .filter((s) => own.has(s.prefix))
          .map((s) => [s.prefix, s.concurrency]),
      )
      const [s0, s1, s2, s3] = conversionShards(4).map((s) => concurrency[s.prefix])
      // 12 jobs at once: on the cluster a third per master (4, then 2 and 2 on the master of two shards); on one Redis 3 each.
      expect([s0, s1, s2, s3]).toEqual(onCluster() ? [4, 2, 2, 4] : [3, 3, 3, 3])
    } finally {
      await workers.close()
    }
  })

  it('4 → 2 with batches waiting: the workers of 2 find the 4 old shards in the registry, store their batches, then drop them once empty', async () => {
    const old = await startGateway(db, redis, undefined, { conversionShards: 4 })
    const experiment = await runningExperiment(old, tenant, [50, 50])
    const waiting = Array.from({ length: 12 }, (_, i) => events(experiment.id, [`old-${i}`, `old-${i}b`]))
    for (const batch of waiting) expect((await sendConversions(old, tenant, batch)).status).toBe(202)
    await old.close()
    const registered = await redis.zrange(CONVERSION_SHARD_REGISTRY, 0, -1)
    for (const shard of conversionShards(4)) expect(registered).toContain(shard.prefix)

    const gateway = await startGateway(db, redis, undefined, { conversionShards: 2 })
    const workers = await startAnalyticsWorkers(db, redis, { conversionShards: 2, shardRegistry: { refreshMs: 200, retireAfterMs: 1500 } })
    try {
      const fresh = Array.from({ length: 4 }, (_, i) => events(experiment.id, [`new-${i}`]))
      for (const batch of fresh) expect((await sendConversions(gateway, tenant, batch)).status).toBe(202)
      const eventIds = [...waiting, ...fresh].flat().map((e) => e.eventId)
      await eventually(async () => (await storedCount(eventIds)) === eventIds.length, 20_000, 'the old shards’ batches and the new ones to be stored')
      for (const shard of conversionShards(4)) expect(await waitingIn(shard.prefix)).toBe(0)
      // Nobody names the old shards any more: once empty they are no longer consumed; the new ones always are.
      const own = conversionShards(2).map((s) => s.prefix)
      await eventually(
        async () => {
          const consumed = workers.conversionShards().map((s) => s.prefix)
          return consumed.length === 2 && own.every((p) => consumed.includes(p))
        },
        10_000,
        'the emptied old shards to be dropped',
      )
    } finally {
      await workers.close()
      await gateway.close()
    }
  })
})
