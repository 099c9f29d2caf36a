import { BacklogFull, CONVERSION_BACKLOG_KEY } from '@experiments/contracts'
import type { Redis } from '@experiments/redis'

export type BacklogLimits = {
  /** Conversion events accepted but not yet stored, above which ingestion answers 429. */
  maxEvents: number
  /** Redis used_memory in bytes above which ingestion answers 429; 0 turns the check off. */
  maxRedisMemoryBytes: number
}

const REFRESH_MS = 250
const RETRY_AFTER_SECONDS = 5

/**
 * Refuses new conversion batches while the queue's backlog is over its limits. The backlog is
 * read at most every 250 ms per gateway, not on every request.
 */
export const backlogGuard = (redis: Redis, limits: BacklogLimits) => {
  let readAt = 0
  let reading: Promise<{ events: number; memory: number }> | undefined
  let last = { events: 0, memory: 0 }

  const read = async () => {
    const [events, info] = await Promise.all([redis.get(CONVERSION_BACKLOG_KEY), limits.maxRedisMemoryBytes > 0 ? redis.info('memory') : Promise.resolve('')])
    const memory = Number(/used_memory:(\d+)/.exec(info)?.[1] ?? 0)
    return { events: Number(events ?? 0), memory }
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
