import { CONVERSION_SHARD_REGISTRY, conversionShardOfPrefix, QUEUE, QUEUE_PREFIX } from '@experiments/contracts'
import type { RedisClient } from '@experiments/redis'
import { Queue } from 'bullmq'
import type { FastifyBaseLogger } from 'fastify'

/**
 * The queues the dashboard shows that the gateway does not write to, opened here: maintenance (the
 * analytics worker's queue, opened under its name and prefix), and the conversion shards named in
 * the registry (CONVERSION_SHARD_REGISTRY) besides `ownPrefixes`: other gateways' shards, and
 * shards of an earlier CONVERSION_QUEUE_SHARDS that may still hold jobs.
 */
export const boardQueues = (deps: { redis: RedisClient; ownPrefixes: Iterable<string>; log: FastifyBaseLogger }) => {
  const open = (name: string, prefix: string) => {
    const queue = new Queue(name, { connection: deps.redis, prefix })
    queue.on('error', (err) => deps.log.warn({ err, queue: name, prefix }, 'BullMQ connection error'))
    return queue
  }
  const maintenance = open(QUEUE.maintenance, QUEUE_PREFIX)
  const shards: Queue[] = []
  const known = new Set(deps.ownPrefixes)

  return {
    maintenance,
    /** Opens the shards named in the registry since the last call, and returns them. */
    openNewShards: async (): Promise<Queue[]> => {
      const named = await deps.redis.zrange(CONVERSION_SHARD_REGISTRY, 0, -1)
      const opened: Queue[] = []
      for (const prefix of named) {
        if (known.has(prefix) || !conversionShardOfPrefix(prefix)) continue
        known.add(prefix)
        const queue = open(QUEUE.conversions, prefix)
        shards.push(queue)
        opened.push(queue)
      }
      return opened
    },
    close: async () => {
      await Promise.all([maintenance.close(), ...shards.map((queue) => queue.close())])
    },
  }
}
