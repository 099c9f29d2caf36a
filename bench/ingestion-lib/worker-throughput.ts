import { CONVERSION_JOB_OPTIONS, QUEUE, toConversionJob, type ConversionShard } from '@experiments/contracts'
import type { Queue } from 'bullmq'
import type { Redis } from 'ioredis'
import pg from 'pg'
import type { BenchEvent } from './events.js'

// Never applied: every benchmark event carries all its fields.
const EVENT_DEFAULTS = { metric: 'conversion', value: 1, timestamp: new Date(0).toISOString() }
const PENDING = ['wait', 'active', 'delayed', 'prioritized', 'waiting-children'] as const
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

export const PLAIN_TABLE = 'bench_plain_conversions'

/** A scratch table with the columns and primary key of `conversions`, nothing else. */
export const createPlainTable = async (db: pg.Client) => {
  await db.query(`create table ${PLAIN_TABLE} (like conversions including defaults)`)
  await db.query(`alter table ${PLAIN_TABLE} add primary key (tenant_id, event_id)`)
}

/** `n` connected pg clients for the baseline. */
export const openClients = (url: string, n: number) =>
  Promise.all(
    Array.from({ length: n }, async () => {
      const client = new pg.Client({ connectionString: url })
      await client.connect()
      return client
    }),
  )

/** Baseline: the same batches, each one plain unnest INSERT … ON CONFLICT DO NOTHING, on all `clients` at once. Seconds taken. */
export const plainInsert = async (clients: pg.Client[], tenantId: string, batches: BenchEvent[][]) => {
  let next = 0
  const start = performance.now()
  await Promise.all(
    clients.map(async (client) => {
      for (let i = next++; i < batches.length; i = next++) {
        const events = batches[i]!
        await client.query(
          `insert into ${PLAIN_TABLE} (tenant_id, event_id, experiment_id, user_id, metric, value, occurred_at, attribution)
           select $1, t.*, 'plain' from unnest($2::text[], $3::text[], $4::text[], $5::text[], $6::float8[], $7::timestamptz[]) as t
           on conflict do nothing`,
          [
            tenantId,
            events.map((e) => e.eventId),
            events.map((e) => e.experimentId),
            events.map((e) => e.userId),
            events.map((e) => e.metric),
            events.map((e) => e.value),
            events.map((e) => e.timestamp),
          ],
        )
      }
    }),
  )
  return (performance.now() - start) / 1000
}

/** A conversions shard with its queue. */
export type ShardQueue = { shard: ConversionShard; queue: Queue }

/**
 * Puts one `conversions` job per batch on the (paused) shards' queues, spread round robin as the
 * gateway spreads them, each shard's backlog counter included.
 */
export const enqueueBatches = async (shards: ShardQueue[], redis: Redis, tenantId: string, batches: BenchEvent[][]) => {
  for (let i = 0; i < batches.length; i += 250) {
    const chunk = batches.slice(i, i + 250)
    for (const [s, { shard, queue }] of shards.entries()) {
      const mine = chunk.filter((_, j) => (i + j) % shards.length === s)
      if (mine.length === 0) continue
      await queue.addBulk(
        mine.map((events) => ({ name: QUEUE.conversions, data: toConversionJob(tenantId, events, EVENT_DEFAULTS), opts: CONVERSION_JOB_OPTIONS })),
      )
      await redis.incrby(
        shard.backlogKey,
        mine.reduce((n, b) => n + b.length, 0),
      )
    }
  }
}

/**
 * Resumes the paused shards' queues and returns the seconds until no conversions job is left
 * waiting or active in any (jobs are removed on completion, after their statement committed).
 * Polls every 20 ms.
 */
export const drainSeconds = async (queues: Queue[], timeoutS = 300) => {
  const start = performance.now()
  await Promise.all(queues.map((queue) => queue.resume()))
  for (;;) {
    const perShard = await Promise.all(queues.map((queue) => queue.getJobCounts(...PENDING)))
    const counts = Object.fromEntries(PENDING.map((state) => [state, perShard.reduce((n, shard) => n + (shard[state] ?? 0), 0)]))
    if (PENDING.every((state) => !counts[state])) return (performance.now() - start) / 1000
    if (performance.now() - start > timeoutS * 1000) throw new Error(`conversions queue not drained after ${timeoutS} s: ${JSON.stringify(counts)}`)
    await sleep(20)
  }
}
