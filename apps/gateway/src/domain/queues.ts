import { QUEUE, QUEUE_PREFIX, type ConversionShard } from '@experiments/contracts'
import type { RedisClient } from '@experiments/redis'
import { Queue, QueueEvents } from 'bullmq'
import type { FastifyBaseLogger } from 'fastify'

/** A conversion shard with its queue. */
export type ShardQueue = { shard: ConversionShard; queue: Queue }

/**
 * The BullMQ queues the gateway writes to (one `conversions` queue per shard), and the events of
 * compute-results it waits on (which need a connection of their own: they block on Redis).
 */
export const openQueues = (deps: { redis: RedisClient; blockingRedis: () => RedisClient; shards: ConversionShard[]; log: FastifyBaseLogger }) => {
  const logError = (err: Error) => deps.log.warn({ err }, 'BullMQ connection error')
  const eventsConnection = deps.blockingRedis()
  eventsConnection.on('error', logError)

  const conversions: ShardQueue[] = deps.shards.map((shard) => ({
    shard,
    queue: new Queue(QUEUE.conversions, { connection: deps.redis, prefix: shard.prefix }),
  }))
  const computeResults = new Queue(QUEUE.computeResults, { connection: deps.redis, prefix: QUEUE_PREFIX })
  const computeEvents = new QueueEvents(QUEUE.computeResults, { connection: eventsConnection, prefix: QUEUE_PREFIX })
  for (const { queue } of conversions) queue.on('error', logError)
  computeResults.on('error', logError)
  computeEvents.on('error', logError)

  return {
    conversions,
    computeResults,
    computeEvents,
    close: async () => {
      await Promise.all([...conversions.map(({ queue }) => queue.close()), computeResults.close(), computeEvents.close()])
    },
  }
}
