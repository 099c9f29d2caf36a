import { redisKeys, ServiceUnavailable } from '@experiments/contracts'
import type { RedisClient } from '@experiments/redis'

const NEGATIVE_TTL_MS = 1000
const NEGATIVE_MAX = 10_000
const RESTORING_RETRY_AFTER_SECONDS = 2

/** The answer while the analytics worker restores what Redis lost from PostgreSQL: retry shortly. */
export const redisRestoring = (what: string) =>
  new ServiceUnavailable(
    `${what}: Redis lost it and is being restored from PostgreSQL; retry in ${RESTORING_RETRY_AFTER_SECONDS} s`,
    RESTORING_RETRY_AFTER_SECONDS,
  )

/**
 * Names looked up in Redis and not found, remembered for a second so that bogus ones cost little.
 * A miss is a 503 rather than "no such thing" while Redis is being restored: the name may be
 * among what it lost.
 */
export const createMissCache = (redis: RedisClient) => {
  const unknownUntil = new Map<string, number>()
  return {
    /** Whether `name` was looked up and missing less than a second ago. */
    recentlyMissed: (name: string) => {
      const until = unknownUntil.get(name)
      return until !== undefined && until > Date.now()
    },
    forget: (name: string) => unknownUntil.delete(name),
    /** Records that `name` (described by `what` in the 503) is not in Redis; resolves to undefined. */
    missed: async (name: string, what: string): Promise<undefined> => {
      if (!(await redis.exists(redisKeys.restored))) {
        throw redisRestoring(`${what} is not known here, and may be among what Redis lost`)
      }
      if (unknownUntil.size >= NEGATIVE_MAX) unknownUntil.clear()
      unknownUntil.set(name, Date.now() + NEGATIVE_TTL_MS)
      return undefined
    },
  }
}
