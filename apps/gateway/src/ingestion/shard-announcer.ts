import { CONVERSION_SHARD_ANNOUNCE_MS, CONVERSION_SHARD_REGISTRY, type ConversionShard } from '@experiments/contracts'
import type { RedisClient } from '@experiments/redis'
import type { FastifyBaseLogger } from 'fastify'

/**
 * Names the gateway's conversion shards in the registry now and every CONVERSION_SHARD_ANNOUNCE_MS,
 * so that analytics workers consume them, whatever CONVERSION_QUEUE_SHARDS the workers were given
 * (see CONVERSION_SHARD_REGISTRY). Returns stop().
 */
export const announceShards = (redis: RedisClient, shards: ConversionShard[], log: FastifyBaseLogger) => {
  const announce = () => redis.zadd(CONVERSION_SHARD_REGISTRY, ...shards.flatMap((shard) => [Date.now(), shard.prefix]))
  const tick = () => announce().catch((err) => log.warn({ err }, 'could not name the conversion shards in Redis; retrying'))
  void tick()
  const timer = setInterval(tick, CONVERSION_SHARD_ANNOUNCE_MS)
  timer.unref()
  return () => clearInterval(timer)
}
