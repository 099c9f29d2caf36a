import { QUEUE, QUEUE_PREFIX } from '@experiments/contracts'
import type { Redis } from '@experiments/redis'
import { Queue, QueueEvents } from 'bullmq'
import type { FastifyBaseLogger } from 'fastify'

/**
 * The BullMQ queues the gateway writes to, and the events of compute-results it waits on (which
 * need a connection of their own: they block on Redis).
 */
export const openQueues = (deps: { redis: Redis; blockingRedis: () => Redis; log: FastifyBaseLogger }) => {
  const logError = (err: Error) => deps.log.warn({ err }, 'BullMQ connection error')
  const eventsConnection = deps.blockingRedis()
  eventsConnection.on('error', logError)

  const conversions = new Queue(QUEUE.conversions, { connection: deps.redis, prefix: QUEUE_PREFIX })
  const computeResults = new Queue(QUEUE.computeResults, { connection: deps.redis, prefix: QUEUE_PREFIX })
  const computeEvents = new QueueEvents(QUEUE.computeResults, { connection: eventsConnection, prefix: QUEUE_PREFIX })
  conversions.on('error', logError)
  computeResults.on('error', logError)
  computeEvents.on('error', logError)

  return {
    conversions,
    computeResults,
    computeEvents,
    close: async () => {
      await Promise.all([conversions.close(), computeResults.close(), computeEvents.close()])
    },
  }
}
