import { redisKeys } from '@experiments/contracts'
import { isDependencyUnavailable } from '@experiments/http'
import type { RedisClient } from '@experiments/redis'

/** The count GET results shows, or null and why: results stay readable while Redis is away. */
export type ExposureMismatchCount = { exposureMismatches: number } | { exposureMismatches: null; exposureMismatchesUnavailable: string }

/**
 * How many users an SDK reported in a variant other than their recorded one (POST /api/exposures
 * on the assignment service): the size of the experiment's set in Redis.
 */
export const exposureMismatchCounter =
  (redis: RedisClient) =>
  async (experimentId: string): Promise<ExposureMismatchCount> => {
    try {
      return { exposureMismatches: await redis.scard(redisKeys.exposureMismatches(experimentId)) }
    } catch (error) {
      if (!isDependencyUnavailable(error)) throw error
      return { exposureMismatches: null, exposureMismatchesUnavailable: 'Redis, which holds this count, is unavailable; retry shortly' }
    }
  }
