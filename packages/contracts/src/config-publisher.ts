import type { RedisClient, ReplicaAcks } from '@experiments/redis'
import type { AssignmentConfig } from './assignment-config.js'
import type { FinalStatus } from './experiment.js'
import { CONFIG_CHANNEL, redisKeys } from './redis-keys.js'

/**
 * Publishes what the assignment service needs to Redis. Commands go one at a time, not in a MULTI,
 * because the keys live in different Redis Cluster slots. When enrollment closes, the status key
 * is written first, so the assignment script refuses new users before anything else changes; when
 * it opens, the status key is written last, once the config it needs is in place. With `acks`
 * (REDIS_MIN_REPLICAS_ACK), publish resolves only once replicas hold every write, and rejects
 * (ReplicasDidNotConfirm) otherwise; the change is announced only then.
 */
export const configPublisher = (redis: RedisClient, acks?: ReplicaAcks) => {
  const confirmed = async (key: string, write: () => Promise<unknown>) => {
    const ticket = acks?.before(key)
    await write()
    return () => acks?.confirm(ticket)
  }
  return {
    publish: async (config: AssignmentConfig) => {
      const statusKey = redisKeys.status(config.id)
      const json = JSON.stringify(config)
      const writes =
        config.status === 'running'
          ? [
              await confirmed(redisKeys.streams, () => redis.sadd(redisKeys.streams, config.id)),
              await confirmed(redisKeys.configs, () => redis.hset(redisKeys.configs, config.id, json)),
              await confirmed(statusKey, () => redis.set(statusKey, config.status)),
            ]
          : [
              await confirmed(statusKey, () => redis.set(statusKey, config.status)),
              await confirmed(redisKeys.configs, () => redis.hset(redisKeys.configs, config.id, json)),
            ]
      await Promise.all(writes.map((confirm) => confirm()))
      await redis.publish(CONFIG_CHANNEL, config.id)
    },
    /**
     * Puts back a config that Redis lost, from PostgreSQL: the config entry and the status key are
     * written only where missing, so a gateway's newer publication made meanwhile is never undone.
     */
    restore: async (config: AssignmentConfig) => {
      if (config.status === 'running') await redis.sadd(redisKeys.streams, config.id)
      await redis.hsetnx(redisKeys.configs, config.id, JSON.stringify(config))
      await redis.set(redisKeys.status(config.id), config.status, 'NX')
      await redis.publish(CONFIG_CHANNEL, config.id)
    },
  }
}
export type ConfigPublisher = ReturnType<typeof configPublisher>

/** The config of a completed or archived experiment: enough to answer "not running", nothing more. */
export const finalConfig = (experiment: { id: string; tenantId: string; seed: string; status: FinalStatus; version: number }): AssignmentConfig => ({
  ...experiment,
  variants: [],
  audience: null,
})
