import { BacklogFull, type ConversionShard } from '@experiments/contracts'
import { nodeConnections, type RedisClient } from '@experiments/redis'

export type BacklogLimits = {
  /** Conversion events accepted but not yet stored, above which ingestion answers 429. */
  maxEvents: number
  /** Redis used_memory in bytes (of the fullest master, on a cluster) above which ingestion answers 429; 0 turns the check off. */
  maxRedisMemoryBytes: number
}

const REFRESH_MS = 250
const RETRY_AFTER_SECONDS = 5

/** Conversion events accepted into `shards` and not stored yet: the sum of their backlog counters (one GET each, in its shard's slot). */
export const backlogEvents = async (redis: RedisClient, shards: ConversionShard[]) => {
  const counters = await Promise.all(shards.map((shard) => redis.get(shard.backlogKey)))
  return counters.reduce((sum, n) => sum + Number(n ?? 0), 0)
}

/**
 * Refuses new conversion batches while the backlog of `shards` (the sum of their counters) is over
 * its limits. The backlog is read at most every 250 ms per gateway, not on every request: each
 * shard's counter is a key of its own, in its shard's slot, so no one key takes every request.
 */
export const backlogGuard = (redis: RedisClient, shards: ConversionShard[], limits: BacklogLimits) => {
  let readAt = 0
  let reading: Promise<{ events: number; memory: number }> | undefined
  let last = { events: 0, memory: 0 }

  const read = async () => {
    const [events, infos] = await Promise.all([
      backlogEvents(redis, shards),
      limits.maxRedisMemoryBytes > 0 ? Promise.all(nodeConnections(redis).map((node) => node.info('memory'))) : [],
    ])
    const memory = Math.max(0, ...infos.map((info) => Number(/used_memory:(\d+)/.exec(info)?.[1] ?? 0)))
    return { events, memory }
  }

  return {
    check: async (incoming: number) => {
      if (Date.now() - readAt > REFRESH_MS) {
        reading ??= read().finally(() => {
          readAt = Date.now()
          reading = undefined
        })
        last = await reading
      }
      if (last.events + incoming > limits.maxEvents) {
        throw new BacklogFull(
          `the conversion backlog holds ${last.events} events (limit ${limits.maxEvents}); retry after ${RETRY_AFTER_SECONDS} s`,
          RETRY_AFTER_SECONDS,
        )
      }
      if (limits.maxRedisMemoryBytes > 0 && last.memory > limits.maxRedisMemoryBytes) {
        throw new BacklogFull(
          `Redis holds ${last.memory} bytes (limit ${limits.maxRedisMemoryBytes}); retry after ${RETRY_AFTER_SECONDS} s`,
          RETRY_AFTER_SECONDS,
        )
      }
    },
  }
}
export type BacklogGuard = ReturnType<typeof backlogGuard>
