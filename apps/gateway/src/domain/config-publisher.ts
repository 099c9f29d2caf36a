import { CONFIG_CHANNEL, redisKeys, type AssignmentConfig } from '@experiments/contracts'
import type { ExperimentStatus } from '@experiments/db'
import type { Redis } from 'ioredis'

/**
 * Publishes what the assignment service needs to Redis. Commands go one at a time, not in a MULTI,
 * because the keys live in different Redis Cluster slots. The status key is written first on a
 * stop or withdrawal, so the assignment script refuses new users before anything else changes.
 */
export const configPublisher = (redis: Redis) => ({
  publish: async (config: AssignmentConfig) => {
    const json = JSON.stringify(config)
    if (config.status === 'running') {
      await redis.sadd(redisKeys.streams, config.id)
      await redis.hset(redisKeys.configs, config.id, json)
      await redis.set(redisKeys.status(config.id), config.status)
    } else {
      await redis.set(redisKeys.status(config.id), config.status)
      await redis.hset(redisKeys.configs, config.id, json)
    }
    await redis.publish(CONFIG_CHANNEL, config.id)
  },

  /** Takes a completed or archived experiment out of assignment. */
  withdraw: async (experimentId: string, status: Extract<ExperimentStatus, 'completed' | 'archived'>) => {
    await redis.set(redisKeys.status(experimentId), status)
    await redis.hdel(redisKeys.configs, experimentId)
    await redis.publish(CONFIG_CHANNEL, experimentId)
  },
})
export type ConfigPublisher = ReturnType<typeof configPublisher>

/** Live participant counts per experiment, summed over its variants. */
export const participantCounter = (redis: Redis) => async (experimentIds: string[]): Promise<Map<string, number>> => {
  const perExperiment = await Promise.all(experimentIds.map((id) => redis.hvals(redisKeys.counts(id))))
  return new Map(experimentIds.map((id, i) => [id, (perExperiment[i] ?? []).reduce((sum, n) => sum + Number(n), 0)]))
}
export type ParticipantCounter = ReturnType<typeof participantCounter>
