import { CONFIG_CHANNEL, redisKeys, type AssignmentConfig } from '@experiments/contracts'
import type { Redis } from 'ioredis'

/**
 * Publishes what the assignment service needs to Redis. Commands go one at a time, not in a MULTI,
 * because the keys live in different Redis Cluster slots. When enrollment closes, the status key
 * is written first, so the assignment script refuses new users before anything else changes; when
 * it opens, the status key is written last, once the config it needs is in place.
 */
export const configPublisher = (redis: Redis) => ({
  publish: async (config: AssignmentConfig) => {
    const statusKey = redisKeys.status(config.id)
    if (config.status === 'running') {
      await redis.sadd(redisKeys.streams, config.id)
      await redis.hset(redisKeys.configs, config.id, JSON.stringify(config))
      await redis.set(statusKey, config.status)
    } else {
      await redis.set(statusKey, config.status)
      await redis.hset(redisKeys.configs, config.id, JSON.stringify(config))
    }
    await redis.publish(CONFIG_CHANNEL, config.id)
  },
})
export type ConfigPublisher = ReturnType<typeof configPublisher>

/** Live participant counts per experiment, summed over its variants. */
export const participantCounter = (redis: Redis) => async (experimentIds: string[]): Promise<Map<string, number>> => {
  const perExperiment = await Promise.all(experimentIds.map((id) => redis.hvals(redisKeys.counts(id))))
  return new Map(experimentIds.map((id, i) => [id, (perExperiment[i] ?? []).reduce((sum, n) => sum + Number(n), 0)]))
}
export type ParticipantCounter = ReturnType<typeof participantCounter>
